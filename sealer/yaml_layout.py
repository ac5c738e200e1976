"""The text around a YAML document that ruamel's round trip forgets: a header above ``---``, and CRLF line ends.

Two tools rewrite a user's YAML file in place through ruamel's round-trip mode
(``sealer seal --merge-into`` in :mod:`sealer.formats.manifests`, the
EncryptionConfiguration lifecycle in :mod:`sealer.encryption_at_rest.roundtrip`).
ruamel keeps comments inside a document, but drops every line above a leading
``---`` (comments, blank lines, ``%`` directives) along with the marker, and it
writes ``\\n`` whatever the file used. Neither gap depends on what the document
holds, so both tools take the same text-level repair from here: the head is
copied verbatim, and a CRLF file is written back in CRLF.

This module imports nothing from sealer, so any layer may use it (``sealer.formats``
and ``sealer.encryption_at_rest`` are independent siblings and cannot share code
otherwise).
"""

from __future__ import annotations

import re

__all__ = ["split_head", "to_crlf", "uses_crlf", "with_head"]

# "---" then the end of the line or a blank: a document start, possibly with content after it ("--- !tag", "--- {}").
_STARTS_DOCUMENT = re.compile(r"---(?:[ \t]|\Z)")


def split_head(text: str) -> tuple[str, bool]:
    """The text up to and including a bare ``---`` line, or "" and whether the first document starts with ``---``.

    The head is what ruamel drops: comment, blank and directive lines, then the
    marker. Without a bare marker line there is nothing to copy, and the bool
    says whether ruamel must write ``---`` itself (``explicit_start``) because
    the marker shares its line with content (``--- !tag``).
    """
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        offset += len(line)
        if not stripped or stripped.startswith(("#", "%")):
            continue
        if stripped == "---":
            return text[:offset], False
        return "", bool(_STARTS_DOCUMENT.match(stripped))
    return "", False


def with_head(rendered: str, head: str) -> str:
    """``rendered`` (ruamel's output) with ``head`` in place of the directives and ``---`` ruamel wrote itself."""
    if not head:
        return rendered
    lines = rendered.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("%"):
            continue
        if line.rstrip() == "---":
            return head + "".join(lines[index + 1 :])
        break
    return head + rendered


def uses_crlf(text: str) -> bool:
    """Whether the file ends its lines with CRLF (one is enough: a mixed file is written all in CRLF)."""
    return "\r\n" in text


def to_crlf(text: str) -> str:
    """``text`` with every line ending CRLF (ruamel writes ``\\n``, and copies a comment's ``\\r`` into some lines)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
