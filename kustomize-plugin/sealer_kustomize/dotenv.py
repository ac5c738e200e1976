"""dotenv parsing exactly as KSOPS does it (github.com/joho/godotenv v1.5.1).

``secretFrom.envs`` files are decrypted to ``KEY=value`` text and parsed by
godotenv, so the same file must give the same Secret keys and values here:
``export`` prefixes, ``KEY: value``, ``#`` comments (whole-line, and trailing
after whitespace, the *last* such ``#`` winning), single quotes taken
literally, double quotes with ``\\n``/``\\r`` escapes, ``${VAR}``/``$VAR``
expansion from keys defined *earlier in the same file* (v1.5.1 never reads
the process environment), and the later of two equal keys winning.

Unlike godotenv, error messages carry only the line number: the text around
the error is decrypted secret material.
"""

from __future__ import annotations

import re

from sealer.errors import FormatError

__all__ = ["parse_dotenv"]

_SPACE = frozenset("\t\v\f\r \x85\xa0")  # godotenv's isSpace: no line breaks
_ESCAPE = re.compile(r"\\.")
_EXPAND = re.compile(r"(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?")
_UNESCAPE = re.compile(r"\\([^$])")


class _DotenvSyntaxError(Exception):
    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def parse_dotenv(text: str, *, source: str) -> dict[str, str]:
    """Parse decrypted dotenv ``text``; ``source`` names the file in errors (never its content)."""
    text = text.replace("\r\n", "\n")
    try:
        return _parse(text)
    except _DotenvSyntaxError as exc:
        line = text.count("\n", 0, exc.offset) + 1
        raise FormatError(
            f"{source}: not a valid dotenv file after decryption: {exc.reason} on line {line}",
            hint="write KEY=value lines; quote values that contain '#' after a space",
        ) from None


def _parse(src: str) -> dict[str, str]:
    out: dict[str, str] = {}
    total = len(src)
    rest: str | None = src
    while True:
        rest = _statement_start(rest)
        if rest is None:
            return out
        key, rest = _key_name(rest, total)
        value, rest = _value(rest, out, total)
        out[key] = value


def _statement_start(src: str | None) -> str | None:
    """Skip blank space and whole-line comments; ``None`` at the end of the input."""
    while src:
        stripped = src.lstrip()
        if not stripped:
            return None
        if stripped[0] != "#":
            return stripped
        newline = stripped.find("\n")
        if newline == -1:
            return None
        src = stripped[newline:]
    return None


def _trim_left_space(src: str) -> str:
    index = 0
    while index < len(src) and src[index] in _SPACE:
        index += 1
    return src[index:]


def _trim_space(src: str) -> str:
    end = len(src)
    while end > 0 and src[end - 1] in _SPACE:
        end -= 1
    return _trim_left_space(src[:end])


def _key_name(src: str, total: int) -> tuple[str, str]:
    src = _trim_left_space(src)
    if src.startswith("export"):
        trimmed = src[len("export") :]
        if trimmed[:1] in _SPACE and trimmed:
            src = _trim_left_space(trimmed)
    key, offset = "", 0
    for index, char in enumerate(src):
        if char in _SPACE:
            continue
        if char in "=:":
            key, offset = src[:index], index + 1
            break
        if char == "_" or char == "." or char.isalpha() or char.isnumeric():
            continue
        raise _DotenvSyntaxError("unexpected character in a variable name", total - len(src) + index)
    if not src:
        raise _DotenvSyntaxError("zero length string", total)
    return key.rstrip(), _trim_left_space(src[offset:])


def _value(src: str, known: dict[str, str], total: int) -> tuple[str, str | None]:
    quote = src[:1]
    if quote not in ("'", '"'):
        end_of_line = next((i for i, c in enumerate(src) if c in "\n\r"), -1)
        if end_of_line == -1:
            end_of_line = len(src)
            if end_of_line == 0:
                return "", None
        line = src[:end_of_line]
        end = len(line)
        if end == 0:
            return "", src[end_of_line:]
        for index in range(end - 1, -1, -1):
            if line[index] == "#" and index > 0 and line[index - 1] in _SPACE:
                end = index
                break
        return _expand(_trim_space(line[:end]), known), src[end_of_line:]
    for index in range(1, len(src)):
        if src[index] != quote or src[index - 1] == "\\":
            continue
        value = src[:index].rstrip(quote).lstrip(quote)
        if quote == '"':
            value = _expand(_unescape(value), known)
        return value, src[index + 1 :]
    raise _DotenvSyntaxError("unterminated quoted value", total - len(src))


def _unescape(value: str) -> str:
    def one(match: re.Match[str]) -> str:
        char = match.group(0)[1:]
        return {"n": "\n", "r": "\r"}.get(char, match.group(0))

    return _UNESCAPE.sub(r"\1", _ESCAPE.sub(one, value))


def _expand(value: str, known: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        whole = match.group(0)
        # v1.5.1 tests group 2 (always "$") for "(", so only the backslash escape applies.
        if match.group(1) == "\\":
            return whole[1:]
        name = match.group(4)
        if name:
            return known.get(name, "")
        return whole

    return _EXPAND.sub(one, value)
