"""The tree walk that encrypts or decrypts every leaf with its path as additional data, and the MAC.

A faithful port of sops' ``Tree.Encrypt``/``Tree.Decrypt`` (``sops.go``):

- the additional data of a value is its mapping keys joined by ``:`` plus a
  trailing ``:`` (sequence indices are not part of the path); a comment's is
  the path of the mapping that holds it (``:`` at the top level);
- which leaves are encrypted follows the one selector in the metadata (suffix,
  regex, comment regex; ``_unencrypted`` suffix by default), matched against
  *any* component of the path;
- the MAC is SHA-512 over the plaintext bytes of every non-null, non-comment
  leaf in document order across all documents (only the encrypted ones, after
  a fixed seed, with ``mac_only_encrypted``), as upper-case hex.

The walk knows nothing about file formats.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from sealer.crypto import sops_aead
from sealer.errors import DecryptionError, FormatError
from sealer.formats.sops.gofmt import format_bool, format_float_f, parse_bool, parse_go_int
from sealer.formats.sops.tree import Branch, Comment, Timestamp, Value, bytes_text, text_bytes

__all__ = [
    "MAC_ONLY_ENCRYPTED_INIT",
    "SELECTOR_NAMES",
    "Selectors",
    "Stash",
    "decrypt_tree",
    "encrypt_tree",
    "leaf_bytes",
]

MAC_ONLY_ENCRYPTED_INIT = hashlib.sha256(b"sops").digest()
DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted"
# The six selector fields of :class:`Selectors`, in sops' order: the metadata keys, the
# ``.sops.yaml`` rule keys and the encrypt options all use these names.
SELECTOR_NAMES = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)


@dataclass(frozen=True)
class Selectors:
    """Which leaves are encrypted: at most one of the six rules (sops refuses more)."""

    unencrypted_suffix: str = ""
    encrypted_suffix: str = ""
    unencrypted_regex: str = ""
    encrypted_regex: str = ""
    unencrypted_comment_regex: str = ""
    encrypted_comment_regex: str = ""
    mac_only_encrypted: bool = False

    def rule_count(self) -> int:
        return sum(1 for name in SELECTOR_NAMES if getattr(self, name))

    def effective(self) -> Selectors:
        """With sops' default (``_unencrypted`` suffix) when no rule is set."""
        if self.rule_count() > 1:
            raise FormatError(
                "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
                "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file"
            )
        if self.rule_count() == 0:
            return Selectors(unencrypted_suffix=DEFAULT_UNENCRYPTED_SUFFIX, mac_only_encrypted=self.mac_only_encrypted)
        return self


@dataclass
class Stash:
    """IVs seen while decrypting, reused when the same value is re-encrypted at the same path.

    sops does this so that ``edit``/``set`` leave unchanged values byte-identical
    (smaller diffs); a new data key (``rotate``) makes every ciphertext new anyway.
    """

    ivs: dict[tuple[str, str, bytes], bytes] = field(default_factory=dict)


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FormatError(f"{what} {pattern!r} is not a valid regular expression: {exc}") from None


class _Matcher:
    """``shouldBeEncrypted`` from sops.go, with the regular expressions compiled once."""

    def __init__(self, selectors: Selectors) -> None:
        s = selectors
        self.s = s
        self.unencrypted_regex = _compile(s.unencrypted_regex, "unencrypted_regex") if s.unencrypted_regex else None
        self.encrypted_regex = _compile(s.encrypted_regex, "encrypted_regex") if s.encrypted_regex else None
        self.unencrypted_comment = (
            _compile(s.unencrypted_comment_regex, "unencrypted_comment_regex") if s.unencrypted_comment_regex else None
        )
        self.encrypted_comment = (
            _compile(s.encrypted_comment_regex, "encrypted_comment_regex") if s.encrypted_comment_regex else None
        )

    def should_encrypt(self, path: Sequence[str], stack: Sequence[Sequence[str]], is_comment: bool) -> bool:
        s = self.s
        encrypted = True
        if s.unencrypted_suffix and any(p.endswith(s.unencrypted_suffix) for p in path):
            encrypted = False
        if s.encrypted_suffix:
            encrypted = any(p.endswith(s.encrypted_suffix) for p in path)
        if self.unencrypted_regex is not None and any(self.unencrypted_regex.search(p) for p in path):
            encrypted = False
        if self.encrypted_regex is not None:
            encrypted = any(self.encrypted_regex.search(p) for p in path)
        if self.unencrypted_comment is not None and any(
            self.unencrypted_comment.search(c) for group in stack for c in group
        ):
            encrypted = False
        if self.encrypted_comment is not None:
            last_group = len(stack) - 1
            last_line = len(stack[-1]) - 1
            encrypted = False
            for i, group in enumerate(stack):
                for j, c in enumerate(group):
                    # The comment line that matches is itself left in clear; only what follows is encrypted.
                    if is_comment and i == last_group and j == last_line:
                        continue
                    if self.encrypted_comment.search(c):
                        return True
        return encrypted


_OnLeaf = Callable[[Value, list[str], list[list[str]]], Value]


def _walk_value(value: Value, path: list[str], stack: list[list[str]], on_leaf: _OnLeaf) -> Value:
    if value is None:
        return None
    if isinstance(value, Branch):
        return _walk_branch(value, path, stack, on_leaf)
    if isinstance(value, list):
        return _walk_slice(cast("list[Value]", value), path, stack, on_leaf)
    return on_leaf(value, path, stack)


def _walk_slice(values: list[Value], path: list[str], stack: list[list[str]], on_leaf: _OnLeaf) -> list[Value]:
    stack = [*stack, []]
    for i, value in enumerate(values):
        is_comment = isinstance(value, Comment)
        if isinstance(value, Comment):
            stack[-1] = [*stack[-1], value.value]
        values[i] = _walk_value(value, path, stack, on_leaf)
        if not is_comment:
            stack[-1] = []
    return values


def _walk_branch(branch: Branch, path: list[str], stack: list[list[str]], on_leaf: _OnLeaf) -> Branch:
    stack = [*stack, []]
    for item in branch:
        if isinstance(item.key, Comment):
            stack[-1] = [*stack[-1], item.key.value]
            walked = _walk_value(item.key, path, stack, on_leaf)
            if isinstance(walked, Comment):
                item.key = walked
            elif isinstance(walked, str):
                item.key = Comment(walked)
            else:  # pragma: no cover - on_leaf returns str or Comment for comments
                raise FormatError("internal error: a comment walked to a non-comment")
            continue
        value_is_comment = isinstance(item.value, Comment)
        if isinstance(item.value, Comment):
            stack[-1] = [*stack[-1], item.value.value]
        if not isinstance(item.key, str):
            raise FormatError(
                f"the document has a non-string key ({type(item.key).__name__}); sops supports string keys only"
            )
        item.value = _walk_value(item.value, [*path, item.key], stack, on_leaf)
        if not value_is_comment:
            stack[-1] = []
    return branch


def leaf_bytes(value: Value) -> tuple[str, bytes]:
    """A leaf's sops type name and the bytes that are encrypted and hashed for it (sops ``ToBytes``)."""
    if isinstance(value, Comment):
        return "comment", text_bytes(value.value)
    if isinstance(value, str):
        return "str", text_bytes(value)
    if isinstance(value, bool):
        return "bool", format_bool(value).encode()
    if isinstance(value, int):
        return "int", str(value).encode()
    if isinstance(value, float):
        return "float", format_float_f(value).encode()
    if isinstance(value, Timestamp):
        return "time", value.text.encode()
    raise FormatError(f"cannot encrypt a value of type {type(value).__name__}")


def _typed(plain: bytes, datatype: str, where: str) -> Value:
    text = bytes_text(plain)
    try:
        if datatype in ("str", "bytes"):
            return text
        if datatype == "int":
            return parse_go_int(text)
        if datatype == "float":
            if "_" in text:
                raise ValueError("underscore")
            number = float(text)
            if math.isnan(number) and text.strip("+-").lower() != "nan":
                raise ValueError("nan")
            return number
        if datatype == "bool":
            return parse_bool(text)
        if datatype == "time":
            return Timestamp(text)
        if datatype == "comment":
            return Comment(text)
    except ValueError:
        raise FormatError(f"the encrypted value at {where} does not hold a valid {datatype}") from None
    raise FormatError(f"the encrypted value at {where} has an unknown type {datatype!r}")


def _aad(path: Sequence[str]) -> str:
    return ":".join(path) + ":"


def encrypt_tree(
    branches: Sequence[Branch], key: bytes, selectors: Selectors, *, stash: Stash | None = None
) -> str:
    """Encrypt the leaves in place; returns the MAC (upper-case hex) over the plaintext."""
    selectors = selectors.effective()
    matcher = _Matcher(selectors)
    digest = hashlib.sha512()
    if selectors.mac_only_encrypted:
        digest.update(MAC_ONLY_ENCRYPTED_INIT)
    unencrypted_comment = matcher.unencrypted_comment

    def on_leaf(value: Value, path: list[str], stack: list[list[str]]) -> Value:
        is_comment = isinstance(value, Comment)
        encrypted = matcher.should_encrypt(path, stack, is_comment)
        datatype, plain = leaf_bytes(value)
        if (not selectors.mac_only_encrypted or encrypted) and not is_comment:
            digest.update(plain)
        if not encrypted:
            return value
        if not plain and datatype in ("str", "comment"):
            return ""  # sops leaves empty strings (and empty comments) as they are
        aad = _aad(path)
        iv = stash.ivs.get((aad, datatype, plain)) if stash is not None else None
        ciphertext = sops_aead.encrypt(plain, key, aad, datatype, iv=iv)
        if is_comment and unencrypted_comment is not None and unencrypted_comment.search(ciphertext):
            raise FormatError(
                "an encrypted comment matches unencrypted_comment_regex; choose a regex that cannot match "
                "ENC[...] text"
            )
        return ciphertext

    for branch in branches:
        _walk_branch(branch, [], [], on_leaf)
    return digest.hexdigest().upper()


def decrypt_tree(
    branches: Sequence[Branch], key: bytes, selectors: Selectors, *, stash: Stash | None = None
) -> str:
    """Decrypt the leaves in place; returns the MAC (upper-case hex) recomputed over the plaintext.

    A value that fails authentication raises :class:`DecryptionError` naming
    its path (never its content); an undecryptable *comment* is kept as it is,
    as sops does (files from old sops versions have clear comments).
    """
    selectors = selectors.effective()
    matcher = _Matcher(selectors)
    digest = hashlib.sha512()
    if selectors.mac_only_encrypted:
        digest.update(MAC_ONLY_ENCRYPTED_INIT)

    def on_leaf(value: Value, path: list[str], stack: list[list[str]]) -> Value:
        is_comment = isinstance(value, Comment)
        encrypted = matcher.should_encrypt(path, stack, is_comment)
        result: Value = value
        if encrypted:
            aad = _aad(path)
            where = "/".join(path) or "(top level)"
            if isinstance(value, Comment):
                if value.value:
                    try:
                        plain, datatype, iv = sops_aead.decrypt(value.value, key, aad)
                        result = _typed(plain, datatype, where)
                        if stash is not None:
                            stash.ivs[(aad, datatype, plain)] = iv
                    except (sops_aead.LeafDecryptionError, FormatError):
                        result = value  # a comment that was never encrypted
            elif isinstance(value, str):
                if value:
                    try:
                        plain, datatype, iv = sops_aead.decrypt(value, key, aad)
                    except sops_aead.LeafDecryptionError as exc:
                        raise DecryptionError(
                            f"the value at {where} could not be decrypted: {exc}",
                            hint="the file was likely edited or merged by hand; restore it from version control",
                        ) from None
                    result = _typed(plain, datatype, where)
                    if stash is not None:
                        stash.ivs[(aad, datatype, plain)] = iv
            else:
                raise FormatError(
                    f"the value at {where} should be encrypted but is a clear {type(value).__name__}; "
                    "the file was likely edited by hand"
                )
        if (not selectors.mac_only_encrypted or encrypted) and not isinstance(result, Comment) and result is not None:
            digest.update(leaf_bytes(result)[1])
        return result

    for branch in branches:
        _walk_branch(branch, [], [], on_leaf)
    return digest.hexdigest().upper()
