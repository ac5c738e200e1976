"""go-yaml v3's scalar rules: what a plain scalar means, and how a string must be quoted.

sops reads and writes YAML through go-yaml v3, so "is ``yes`` a string?",
"is ``012`` the number 10?" and "does ``a: b`` need quotes?" are answered the
way ``resolve.go`` and ``emitterc.go`` answer them, not the way YAML 1.1/1.2
libraries for Python do. Being byte-identical with ``sops decrypt`` depends
on it.
"""

from __future__ import annotations

import math
import re

from sealer.formats.sops.gofmt import parse_go_int
from sealer.formats.sops.tree import Leaf, Timestamp

__all__ = ["DOUBLE", "LITERAL", "PLAIN", "SINGLE", "is_str_tag", "resolve_plain", "resolve_tagged", "string_style"]

PLAIN, SINGLE, DOUBLE, LITERAL = "plain", "single", "double", "literal"

_MAP: dict[str, Leaf] = {}
for _word in ("true", "True", "TRUE"):
    _MAP[_word] = True
for _word in ("false", "False", "FALSE"):
    _MAP[_word] = False
for _word in ("", "~", "null", "Null", "NULL"):
    _MAP[_word] = None
for _word in (".nan", ".NaN", ".NAN"):
    _MAP[_word] = math.nan
for _word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"):
    _MAP[_word] = math.inf
for _word in ("-.inf", "-.Inf", "-.INF"):
    _MAP[_word] = -math.inf

_MERGE = object()
_OLD_BOOL = frozenset("y Y yes Yes YES on On ON n N no No NO off Off OFF".split())
# Compiled on first use: most scalars in a sops file (ENC[...] text) never need them.
_PATTERNS = {
    "yaml_float": (r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", 0),
    "go_float": (r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^[-+]?(inf|infinity|nan)$", re.IGNORECASE),
    "timestamp": (
        r"^(\d{4})-(\d{1,2})-(\d{1,2})"
        r"(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2}))"
        r"|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?))?$",
        0,
    ),
    "base60": (r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$", 0),
}
_COMPILED: dict[str, re.Pattern[str]] = {}


def _pattern(name: str) -> re.Pattern[str]:
    compiled = _COMPILED.get(name)
    if compiled is None:
        source, flags = _PATTERNS[name]
        compiled = _COMPILED[name] = re.compile(source, flags)
    return compiled


def _go_parse_float(text: str) -> float:
    if not _pattern("go_float").match(text):
        raise ValueError("not a float")
    return float(text)


def parse_timestamp(text: str) -> Timestamp | None:
    """go-yaml's ``parseTimestamp``: four-digit year first, then one of its four layouts."""
    match = _pattern("timestamp").match(text)
    if match is None:
        return None
    import calendar

    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if match[4] is not None:
        hour, minute, second, fraction, zone = int(match[4]), int(match[5]), int(match[6]), match[7], match[8]
    elif match[9] is not None:
        hour, minute, second, fraction, zone = int(match[9]), int(match[10]), int(match[11]), match[12], "Z"
    else:
        hour = minute = second = 0
        fraction, zone = None, "Z"
    if hour > 23 or minute > 59 or second > 59:
        return None
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            return None
        if hours == 0 and minutes == 0:
            zone = "Z"
    frac = ""
    if fraction:
        digits = fraction[1:10].rstrip("0")
        frac = f".{digits}" if digits else ""
    return Timestamp(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{zone}")


def _resolve(text: str, *, allow_timestamp: bool = True) -> object:
    """Port of go-yaml's ``resolve("", in)``: returns the typed value, or the text for strings."""
    if text in _MAP:
        return _MAP[text]
    if text == "<<":
        return _MERGE
    first = text[:1]
    if first == ".":
        try:
            return _go_parse_float(text)
        except ValueError:
            return text
    if first in "+-0123456789" and first:
        if allow_timestamp:
            stamp = parse_timestamp(text)
            if stamp is not None:
                return stamp
        plain = text.replace("_", "")
        try:
            return parse_go_int(plain, base0=True)
        except ValueError:
            pass
        if _pattern("yaml_float").match(plain):
            try:
                return _go_parse_float(plain)
            except ValueError:
                pass
    return text


def resolve_plain(text: str) -> Leaf:
    """The value of an untagged plain scalar (``<<`` stays the string it is in sops' tree)."""
    value = _resolve(text)
    if value is _MERGE:
        return text
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        return text
    return value  # type: ignore[return-value]


def is_str_tag(tag: str | None) -> bool:
    return tag in ("tag:yaml.org,2002:str", "!!str")


def resolve_tagged(text: str, tag: str) -> Leaf:
    """A scalar with an explicit tag (``!!str 1``, ``!!int "2"``); unknown tags keep the text."""
    short = tag.replace("tag:yaml.org,2002:", "!!")
    if short == "!!str":
        return text
    if short == "!!binary":
        import base64
        import binascii

        try:
            return base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "surrogateescape")
        except (binascii.Error, ValueError):
            return text
    if short in ("!!int", "!!float", "!!bool", "!!null", "!!timestamp"):
        value = _resolve(text, allow_timestamp=short == "!!timestamp")
        if short == "!!float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        expected = {
            "!!int": int,
            "!!float": float,
            "!!bool": bool,
            "!!null": type(None),
            "!!timestamp": Timestamp,
        }[short]
        if isinstance(value, expected) and not (short == "!!int" and isinstance(value, bool)):
            return value  # type: ignore[return-value]
        raise ValueError(f"cannot decode {text!r} as a {short}")
    return text


def _can_use_plain(text: str) -> bool:
    value = _resolve(text)
    if not isinstance(value, str):
        return False
    return not (text in _OLD_BOOL or (":" in text and _pattern("base60").match(text) is not None))


def _is_printable(cp: int) -> bool:
    return (
        cp == 0x0A
        or 0x20 <= cp <= 0x7E
        or 0xA0 <= cp <= 0xD7FF
        or (0xE000 <= cp <= 0xFFFD and cp != 0xFEFF)
    )


_BREAKS = "\r\n\x85\u2028\u2029"


class Analysis:
    """``yaml_emitter_analyze_scalar``: which styles can represent the text."""

    __slots__ = ("block_allowed", "block_plain_allowed", "flow_plain_allowed", "multiline", "single_quoted_allowed")

    def __init__(self, value: str) -> None:
        if not value:
            self.multiline = False
            self.flow_plain_allowed = False
            self.block_plain_allowed = True
            self.single_quoted_allowed = True
            self.block_allowed = False
            return
        block_indicators = flow_indicators = line_breaks = special = tabs = False
        leading_space = leading_break = trailing_space = trailing_break = break_space = space_break = False
        previous_space = previous_break = False
        if value.startswith(("---", "...")):
            block_indicators = flow_indicators = True
        preceded_by_ws = True
        n = len(value)
        for i, ch in enumerate(value):
            followed_by_ws = i + 1 >= n or value[i + 1] in " \t"
            if i == 0:
                if ch in "#,[]{}&*!|>'\"%@`":
                    flow_indicators = block_indicators = True
                elif ch in "?:":
                    flow_indicators = True
                    if followed_by_ws:
                        block_indicators = True
                elif ch == "-" and followed_by_ws:
                    flow_indicators = block_indicators = True
            else:
                if ch in ",?[]{}":
                    flow_indicators = True
                elif ch == ":":
                    flow_indicators = True
                    if followed_by_ws:
                        block_indicators = True
                elif ch == "#" and preceded_by_ws:
                    flow_indicators = block_indicators = True
            if ch == "\t":
                tabs = True
            elif not _is_printable(ord(ch)):
                special = True
            if ch == " ":
                if i == 0:
                    leading_space = True
                if i == n - 1:
                    trailing_space = True
                if previous_break:
                    break_space = True
                previous_space, previous_break = True, False
            elif ch in _BREAKS:
                line_breaks = True
                if i == 0:
                    leading_break = True
                if i == n - 1:
                    trailing_break = True
                if previous_space:
                    space_break = True
                previous_space, previous_break = False, True
            else:
                previous_space = previous_break = False
            preceded_by_ws = ch in " \t\0" or ch in _BREAKS
        self.multiline = line_breaks
        self.flow_plain_allowed = self.block_plain_allowed = self.single_quoted_allowed = self.block_allowed = True
        if leading_space or leading_break or trailing_space or trailing_break:
            self.flow_plain_allowed = self.block_plain_allowed = False
        if trailing_space:
            self.block_allowed = False
        if break_space:
            self.flow_plain_allowed = self.block_plain_allowed = self.single_quoted_allowed = False
        if space_break or tabs or special:
            self.flow_plain_allowed = self.block_plain_allowed = self.single_quoted_allowed = False
        if space_break or special:
            self.block_allowed = False
        if line_breaks:
            self.flow_plain_allowed = self.block_plain_allowed = False
        if flow_indicators:
            self.flow_plain_allowed = False
        if block_indicators:
            self.block_plain_allowed = False


def select_style(requested: str, analysis: Analysis, *, simple_key: bool, value: str) -> str:
    """``yaml_emitter_select_scalar_style`` for block context (our trees never emit flow scalars)."""
    style = requested
    if simple_key and analysis.multiline:
        style = DOUBLE
    if style == PLAIN:
        if not analysis.block_plain_allowed:
            style = SINGLE
        if not value and simple_key:
            style = SINGLE
    if style == SINGLE and not analysis.single_quoted_allowed:
        style = DOUBLE
    if style == LITERAL and (not analysis.block_allowed or simple_key):
        style = DOUBLE
    return style


def string_style(value: str) -> str:
    """The style go-yaml gives a Go string when sops builds its node (``Node.Encode`` round trip)."""
    if "\n" in value:
        requested = LITERAL
    elif _can_use_plain(value):
        requested = PLAIN
    else:
        requested = DOUBLE
    # Node.Encode emits the string once as a document and parses it back: the
    # style that survives is the one that first emission selected.
    return select_style(requested, Analysis(value), simple_key=False, value=value)
