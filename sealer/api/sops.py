"""SOPS with age: encrypt, decrypt, rotate, update keys, set and unset — bytes in, bytes out.

Files written here are read by the real sops 3.x and files written by sops are
read here, MAC included. Errors are typed and name the file and the keys
(recipients), never a secret value:

- :class:`~sealer.errors.FormatError`: not a SOPS file, malformed input;
- :class:`~sealer.errors.KeyNotFoundError`: no age identity fits the file's recipients;
- :class:`~sealer.errors.IntegrityError`: MAC mismatch (edited or merged by hand);
- :class:`~sealer.errors.DecryptionError`: a value fails authentication.

``identities`` may be pyrage identity objects or ``AGE-SECRET-KEY-1...``
strings; ``None`` discovers them from the environment exactly as sops does.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealer.crypto import sops_aead
from sealer.errors import DecryptionError, FormatError, IntegrityError, KeyNotFoundError, SealerError
from sealer.formats.sops import crypt
from sealer.formats.sops.crypt import SELECTOR_NAMES, Selectors, Stash
from sealer.formats.sops.metadata import AgeKey, MasterKey, Metadata, canonical_rfc3339
from sealer.formats.sops.stores import Store, StoreSettings, store_for
from sealer.formats.sops.stores import format_for_path as _format_for_path
from sealer.formats.sops.tree import Branch, Value

__all__ = [
    "DecryptedFile",
    "StoreSettings",
    "decrypt",
    "decrypt_file",
    "discover_identities",
    "encrypt",
    "format_for_path",
    "reencrypt",
    "rotate",
    "set_value",
    "unset_value",
    "update_keys",
]


def format_for_path(path: str) -> str:
    """Store sops picks by file name: ``yaml`` (.yaml/.yml), ``json``, ``dotenv`` (.env), ``ini``, or ``binary``."""
    return _format_for_path(path)


def _label(filename: str) -> str:
    return filename or "<stdin>"


def _input_store(input_type: str | None, filename: str, stores: StoreSettings | None = None) -> Store:
    return store_for(input_type or _format_for_path(filename), stores)


def _now_rfc3339() -> str:
    import datetime

    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def discover_identities() -> list[object]:
    """The age identities sops would find in this environment; pass them to many ``decrypt`` calls.

    Raises :class:`~sealer.errors.KeyNotFoundError` (saying where it looked) if there are none.
    """
    from sealer.keys.age_identities import discover

    found = discover()
    if not found.identities:
        raise KeyNotFoundError(
            f"no age identities found ({found.describe()})",
            hint="set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or SOPS_AGE_KEY_CMD, or create <config dir>/sops/age/keys.txt",
        )
    return list(found.identities)


def _resolve_identities(identities: Sequence[object] | None) -> tuple[list[Any], str]:
    if identities is None:
        from sealer.keys.age_identities import discover

        found = discover()
        return found.identities, found.describe()
    from sealer.crypto import age

    parsed: list[Any] = []
    for identity in identities:
        if isinstance(identity, str):
            try:
                parsed.extend(age.parse_identities(identity, source="the identities given"))
            except age.AgeError as exc:
                raise KeyNotFoundError(str(exc)) from None
        else:
            parsed.append(identity)
    return parsed, "the identities given"


def _data_key(metadata: Metadata, identities: Sequence[object] | None, filename: str) -> bytes:
    """Unwrap the data key from the key groups (Shamir-combined when there are several)."""
    from sealer.crypto import age, sops_shamir

    loaded, described = _resolve_identities(identities)
    parts: list[bytes] = []
    failures: list[str] = []
    for number, group in enumerate(metadata.key_groups):
        part = None
        for key in group:
            if not isinstance(key, AgeKey):
                failures.append(f"{key.name}: not an age key (unsupported here)")
                continue
            if not loaded:
                continue
            try:
                part = age.unwrap(key.enc, loaded)
                break
            except age.AgeError as exc:
                failures.append(f"{key.recipient}: {exc}")
        if part is not None:
            parts.append(part)
        elif len(metadata.key_groups) > 1:
            failures.append(f"key group {number + 1}: no identity fits")
    recipients = ", ".join(metadata.all_key_names()) or "none"
    need = metadata.shamir_threshold or len(metadata.key_groups)
    if len(metadata.key_groups) > 1:
        if len(parts) < need:
            raise KeyNotFoundError(
                f"cannot decrypt {_label(filename)}: only {len(parts)} of the {need} key groups needed could be "
                f"opened; the file's recipients are {recipients} ({described})",
                hint="provide identities for more key groups (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD)",
            )
        try:
            data_key = sops_shamir.combine(parts)
        except sops_shamir.ShamirError as exc:
            raise DecryptionError(f"cannot rebuild the data key of {_label(filename)}: {exc}") from None
    else:
        if not parts:
            why = "no age identity was found" if not loaded else "none of the age identities fits"
            raise KeyNotFoundError(
                f"cannot decrypt {_label(filename)}: {why}; the file's recipients are {recipients} ({described})",
                hint="point SOPS_AGE_KEY_FILE at the keys file holding one of these recipients' identities, "
                "or set SOPS_AGE_KEY / SOPS_AGE_KEY_CMD",
            )
        data_key = parts[0]
    if len(data_key) != sops_aead.KEY_SIZE:
        raise DecryptionError(f"the data key of {_label(filename)} has {len(data_key)} bytes, expected 32")
    return data_key


def _verify_mac(metadata: Metadata, key: bytes, computed: str, filename: str) -> None:
    aad = canonical_rfc3339(metadata.last_modified)
    try:
        plain, _, _ = sops_aead.decrypt(metadata.mac, key, aad) if metadata.mac else (b"", "", b"")
    except sops_aead.LeafDecryptionError:
        raise IntegrityError(
            f"MAC mismatch in {_label(filename)}: its stored MAC cannot be decrypted (the sops metadata or "
            "lastmodified was edited by hand)",
            hint="restore the file from version control, or re-encrypt it from its plaintext",
        ) from None
    if not hmac.compare_digest(plain, computed.encode()):
        raise IntegrityError(
            f"MAC mismatch in {_label(filename)}: the file was likely edited or merged by hand "
            "(its values no longer match the MAC sops stored)",
            hint="restore it from version control, or decrypt it from the last good version and re-encrypt",
        )


@dataclass
class DecryptedFile:
    """A decrypted document with what is needed to write it back under the same data key."""

    branches: list[Branch]
    metadata: Metadata
    data_key: bytes
    store: Store
    stash: Stash = field(default_factory=Stash)


def decrypt_file(
    data: bytes,
    *,
    input_type: str | None = None,
    filename: str = "",
    identities: Sequence[object] | None = None,
    ignore_mac: bool = False,
    stores: StoreSettings | None = None,
) -> DecryptedFile:
    """Decrypt to a tree (for set/edit/rotate); see :func:`decrypt` for the errors."""
    store = _input_store(input_type, filename, stores)
    try:
        branches, metadata = store.load_encrypted(data)
    except FormatError as exc:
        raise FormatError(f"{_label(filename)}: {exc.message}", hint=exc.hint) from None
    key = _data_key(metadata, identities, filename)
    stash = Stash()
    try:
        computed = crypt.decrypt_tree(branches, key, metadata.selectors, stash=stash)
    except SealerError as exc:
        raise type(exc)(f"{_label(filename)}: {exc.message}", hint=exc.hint) from None
    if not ignore_mac:
        _verify_mac(metadata, key, computed, filename)
    return DecryptedFile(branches, metadata, key, store, stash)


def _parse_path(path: str | Sequence[str | int]) -> list[str | int]:
    if not isinstance(path, str):
        return list(path)
    from sealer.formats.sops.treepath import parse_tree_path

    return parse_tree_path(path)


def _truncate(branch: Branch, path: Sequence[str | int]) -> Value:
    current: Value = branch
    for component in path:
        if isinstance(component, str):
            if not isinstance(current, Branch) or current.get(component) is None:
                raise FormatError(f"component [{component!r}] not found")
            item = current.get(component)
            assert item is not None
            current = item.value
        else:
            if not isinstance(current, list) or isinstance(current, Branch):
                raise FormatError(f"component [{component}] is integer, but tree part is not a slice")
            seq: list[Value] = current
            if component >= len(seq):
                raise FormatError(f"component [{component}] accesses out of bounds")
            current = seq[component]
    return current


def decrypt(
    data: bytes,
    *,
    input_type: str | None = None,
    filename: str = "",
    output_type: str | None = None,
    identities: Sequence[object] | None = None,
    extract: str | Sequence[str | int] | None = None,
    ignore_mac: bool = False,
    stores: StoreSettings | None = None,
) -> bytes:
    """Decrypt a SOPS file and render it as ``output_type`` (default: the input type).

    The input type is inferred from ``filename`` as sops does when not given.
    ``extract`` is a sops tree path (``'["data"]["password"]'``) or a list of
    components: a string value comes back raw, anything else rendered. ``stores``
    carries ``.sops.yaml``'s output indentation (sops' defaults when ``None``).
    """
    decrypted = decrypt_file(
        data, input_type=input_type, filename=filename, identities=identities, ignore_mac=ignore_mac, stores=stores
    )
    out_store = store_for(output_type, stores) if output_type else decrypted.store
    branches = decrypted.branches
    if extract is not None:
        path = _parse_path(extract)
        value = _truncate(branches[0], path)
        if isinstance(value, Branch):
            return out_store.emit_plain([value])
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        return out_store.emit_value(value)
    return out_store.emit_plain(branches)


def _groups_from(recipients: Sequence[str], key_groups: Sequence[Sequence[str]] | None) -> list[list[MasterKey]]:
    if key_groups:
        return [[AgeKey(recipient=r.strip()) for r in group] for group in key_groups]
    return [[AgeKey(recipient=r.strip()) for r in recipients]] if recipients else []


def _wrap_data_key(metadata: Metadata, key: bytes) -> None:
    """Encrypt the data key (or its Shamir shares) to every age recipient; keep foreign keys only if unchanged."""
    from sealer.crypto import age, sops_shamir

    groups = metadata.key_groups
    if not groups or any(not group for group in groups):
        raise KeyNotFoundError("no recipients: give --age recipients or a .sops.yaml creation rule with age keys")
    if len(groups) > 1:
        if not metadata.shamir_threshold:
            metadata.shamir_threshold = len(groups)
        if metadata.shamir_threshold > len(groups):
            raise FormatError(
                f"shamir_threshold {metadata.shamir_threshold} is larger than the number of key groups ({len(groups)})"
            )
        parts = sops_shamir.split(key, len(groups), max(metadata.shamir_threshold, 2))
    else:
        parts = [key]
    for group, part in zip(groups, parts, strict=True):
        for master in group:
            if isinstance(master, AgeKey):
                try:
                    master.enc = age.wrap(part, master.recipient)
                except age.AgeError as exc:
                    raise KeyNotFoundError(str(exc)) from None
            else:
                raise KeyNotFoundError(
                    f"cannot re-encrypt the data key for {master.name}: only age keys are supported here"
                )


def _seal(branches: list[Branch], metadata: Metadata, key: bytes, stash: Stash | None) -> None:
    """Encrypt values, then the MAC under a fresh lastmodified (sops' EncryptTree)."""
    mac = crypt.encrypt_tree(branches, key, metadata.selectors, stash=stash)
    metadata.last_modified = _now_rfc3339()
    metadata.mac = sops_aead.encrypt(mac.encode(), key, canonical_rfc3339(metadata.last_modified), "str")


def encrypt(
    data: bytes,
    *,
    recipients: Sequence[str] = (),
    key_groups: Sequence[Sequence[str]] | None = None,
    shamir_threshold: int = 0,
    input_type: str | None = None,
    filename: str = "",
    output_type: str | None = None,
    unencrypted_suffix: str = "",
    encrypted_suffix: str = "",
    unencrypted_regex: str = "",
    encrypted_regex: str = "",
    unencrypted_comment_regex: str = "",
    encrypted_comment_regex: str = "",
    mac_only_encrypted: bool | None = None,
    config: str | os.PathLike[str] | None = None,
    search_config: bool = True,
    stores: StoreSettings | None = None,
) -> bytes:
    """Encrypt plaintext as sops would, to age ``recipients`` (or ``key_groups``).

    As with sops, the first ``.sops.yaml`` creation rule matching ``filename``
    applies (``config`` names the file; otherwise it is searched from the
    working directory upwards when ``search_config``): it supplies the keys
    when none are given, and every selector and setting not given explicitly.
    A config whose rules do not match ``filename`` is an error, as in sops.
    """
    store = _input_store(input_type, filename, stores)
    out_store = store_for(output_type, stores) if output_type else store
    try:
        branches = store.load_plain(data)
    except FormatError as exc:
        raise FormatError(f"{_label(filename)}: {exc.message}", hint=exc.hint) from None
    if not branches:
        raise FormatError(f"{_label(filename)}: cannot be completely empty; it must contain at least one document")
    if store.has_metadata(branches):
        raise FormatError(f"{_label(filename)} is already encrypted (it has sops metadata)")
    explicit = Selectors(
        unencrypted_suffix=unencrypted_suffix,
        encrypted_suffix=encrypted_suffix,
        unencrypted_regex=unencrypted_regex,
        encrypted_regex=encrypted_regex,
        unencrypted_comment_regex=unencrypted_comment_regex,
        encrypted_comment_regex=encrypted_comment_regex,
        mac_only_encrypted=bool(mac_only_encrypted),
    )
    groups = _groups_from(recipients, key_groups)
    threshold = shamir_threshold
    selectors = explicit
    from sealer.formats.sops.config import find_config, load_config

    path = Path(config) if config is not None else (find_config(Path.cwd()) if search_config else None)
    loaded = load_config(path) if path is not None else None
    if loaded is not None and loaded.rules:
        # As sops: the matching rule applies even with explicit recipients (then only its keys are
        # ignored), each selector the caller left empty comes from it, and no match is an error.
        rule = loaded.rule_for(filename)
        if stores is None:
            out_store = store_for(output_type or store.name, loaded.stores)
        if not groups:
            groups = [[AgeKey(recipient=r) for r in group] for group in rule.key_groups]
        threshold = threshold or rule.shamir_threshold
        selectors = Selectors(
            **{name: getattr(explicit, name) or getattr(rule.selectors, name) for name in SELECTOR_NAMES},
            mac_only_encrypted=rule.selectors.mac_only_encrypted if mac_only_encrypted is None else mac_only_encrypted,
        )
    if not groups:
        raise KeyNotFoundError(
            f"no recipients for {_label(filename)}: pass --age, or add a .sops.yaml with creation_rules"
        )
    selectors = selectors.effective()
    metadata = Metadata(key_groups=groups, last_modified="", mac="", selectors=selectors, shamir_threshold=threshold)
    key = sops_aead.new_data_key()
    _wrap_data_key(metadata, key)
    _seal(branches, metadata, key, None)
    return out_store.emit_encrypted(branches, metadata)




def reencrypt(
    decrypted: DecryptedFile, *, output_type: str | None = None, new_key: bool = False,
    stores: StoreSettings | None = None,
) -> bytes:
    """Write a decrypted (possibly modified) file back: same data key and IVs unless ``new_key``."""
    store = store_for(output_type, stores) if output_type else decrypted.store
    key = decrypted.data_key
    stash: Stash | None = decrypted.stash
    if new_key:
        key = sops_aead.new_data_key()
        stash = None
        _wrap_data_key(decrypted.metadata, key)
        decrypted.data_key = key
    _seal(decrypted.branches, decrypted.metadata, key, stash)
    return store.emit_encrypted(decrypted.branches, decrypted.metadata)


def rotate(
    data: bytes,
    *,
    input_type: str | None = None,
    filename: str = "",
    output_type: str | None = None,
    identities: Sequence[object] | None = None,
    add_age: Sequence[str] = (),
    remove_age: Sequence[str] = (),
    stores: StoreSettings | None = None,
    ignore_mac: bool = False,
) -> bytes:
    """A new data key for the file (``sops rotate``), optionally adding/removing age recipients."""
    decrypted = decrypt_file(
        data, input_type=input_type, filename=filename, identities=identities, stores=stores, ignore_mac=ignore_mac
    )
    groups = decrypted.metadata.key_groups
    removed = {r.strip() for r in remove_age}
    if removed:
        for group in groups:
            group[:] = [k for k in group if not (isinstance(k, AgeKey) and k.recipient in removed)]
    if add_age:
        if not groups:
            groups.append([])
        existing = set(decrypted.metadata.age_recipients())
        groups[0].extend(AgeKey(recipient=r.strip()) for r in add_age if r.strip() not in existing)
    for group in groups:
        for master in group:
            if isinstance(master, AgeKey):
                master.enc = ""
    return reencrypt(decrypted, output_type=output_type, new_key=True, stores=stores)


def update_keys(
    data: bytes,
    *,
    key_groups: Sequence[Sequence[str]],
    shamir_threshold: int = 0,
    input_type: str | None = None,
    filename: str = "",
    identities: Sequence[object] | None = None,
    stores: StoreSettings | None = None,
) -> bytes | None:
    """Re-wrap the data key for new key groups (``sops updatekeys``); ``None`` if already up to date.

    Values, the MAC and lastmodified are left as they are: only who can open the
    data key changes.
    """
    store = _input_store(input_type, filename, stores)
    try:
        branches, metadata = store.load_encrypted(data)
    except FormatError as exc:
        raise FormatError(f"{_label(filename)}: {exc.message}", hint=exc.hint) from None
    wanted = [[r.strip() for r in group] for group in key_groups]
    current = [[k.recipient if isinstance(k, AgeKey) else k.name for k in group] for group in metadata.key_groups]
    threshold = shamir_threshold or metadata.shamir_threshold
    threshold = min(threshold, len(wanted))
    if [sorted(g) for g in current] == [sorted(g) for g in wanted] and threshold == metadata.shamir_threshold:
        return None
    key = _data_key(metadata, identities, filename)
    metadata.key_groups = [[AgeKey(recipient=r) for r in group] for group in wanted]
    metadata.shamir_threshold = threshold
    _wrap_data_key(metadata, key)
    return store.emit_encrypted(branches, metadata)


def set_value(
    data: bytes,
    *,
    path: str | Sequence[str | int],
    value: Value,
    input_type: str | None = None,
    filename: str = "",
    identities: Sequence[object] | None = None,
    stores: StoreSettings | None = None,
    ignore_mac: bool = False,
    idempotent: bool = False,
) -> bytes | None:
    """Set one value (``sops set``) and write the file back under the same data key.

    With ``idempotent``, returns ``None`` when the path already holds ``value``
    (sops' ``--idempotent``: the file, lastmodified included, stays as it is).
    """
    from sealer.formats.sops.treepath import same_value, set_in

    decrypted = decrypt_file(
        data, input_type=input_type, filename=filename, identities=identities, stores=stores, ignore_mac=ignore_mac
    )
    components = _parse_path(path)
    if idempotent:
        try:
            current = _truncate(decrypted.branches[0], components)
        except FormatError:
            current = _MISSING
        if current is not _MISSING and same_value(current, value):
            return None
    decrypted.branches[0] = set_in(decrypted.branches[0], components, value)
    return reencrypt(decrypted)


_MISSING: Any = object()


def unset_value(
    data: bytes,
    *,
    path: str | Sequence[str | int],
    input_type: str | None = None,
    filename: str = "",
    identities: Sequence[object] | None = None,
    stores: StoreSettings | None = None,
    ignore_mac: bool = False,
) -> bytes:
    """Remove one value (``sops unset``) and write the file back under the same data key."""
    from sealer.formats.sops.treepath import unset_in

    decrypted = decrypt_file(
        data, input_type=input_type, filename=filename, identities=identities, stores=stores, ignore_mac=ignore_mac
    )
    decrypted.branches[0] = unset_in(decrypted.branches[0], _parse_path(path))
    return reencrypt(decrypted)
