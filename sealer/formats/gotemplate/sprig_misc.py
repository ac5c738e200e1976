"""Sprig's hashes, regular expressions, paths, URLs and flow control, and the functions we refuse to run."""

from __future__ import annotations

import hashlib
import re
import zlib
from functools import lru_cache
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, refuse, register
from sealer.formats.gotemplate.values import Int64, StrList, from_bytes, go_len_str, to_bytes

MISC: FuncMap = {}

# --- hashes -------------------------------------------------------------------------------------
register(MISC, "sha1sum", "string")(lambda s: hashlib.sha1(to_bytes(s)).hexdigest())  # noqa: S324 - Sprig's contract
register(MISC, "sha256sum", "string")(lambda s: hashlib.sha256(to_bytes(s)).hexdigest())
register(MISC, "sha512sum", "string")(lambda s: hashlib.sha512(to_bytes(s)).hexdigest())
register(MISC, "adler32sum", "string")(lambda s: str(zlib.adler32(to_bytes(s))))

# --- regular expressions (Go RE2 syntax, translated to Python's re) ------------------------

_POSIX = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}


class RegexError(FuncError):
    pass


def _translate(pattern: str) -> str:
    """RE2 -> Python: ``\\z``, POSIX classes, ``$`` only at the very end unless (?m)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    in_class = False
    multiline = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "z" and not in_class:
                out.append("\\Z")
            elif nxt == "Z":
                raise RegexError("error parsing regexp: invalid escape sequence: `\\Z`")
            elif nxt in "pP":
                raise RegexError("Unicode classes (\\p) are not supported by sealer")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and pattern.startswith("[:", i):
                j = pattern.find(":]", i + 2)
                name = pattern[i + 2 : j] if j > 0 else ""
                neg = name.startswith("^")
                if neg:
                    raise RegexError("negated POSIX classes are not supported by sealer")
                if name in _POSIX:
                    out.append(_POSIX[name])
                    i = j + 2
                    continue
            if c == "]" and out and out[-1] not in ("[", "[^"):
                in_class = False
            elif c == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
            else:
                out.append("[")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "(" and pattern.startswith("(?", i):
            m = re.match(r"\(\?([imsU-]*)[:)]", pattern[i:])
            if m and "m" in m.group(1).split("-")[0]:
                multiline = True
            if m and "U" in m.group(1):
                raise RegexError("the (?U) flag is not supported by sealer")
            if pattern.startswith("(?P<", i):
                out.append("(?P<")
                i += 4
                continue
        if c == "$" and not multiline:
            out.append("(?!\\n)\\Z" if False else "\\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_re2(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(_translate(pattern))
    except re.error:
        raise RegexError("error parsing regexp: invalid or unsupported syntax") from None


def _find_all(rx: re.Pattern[str], s: str, n: int) -> list[re.Match[str]]:
    """Go's FindAll rule: an empty match right after the previous match is dropped."""
    out: list[re.Match[str]] = []
    if n == 0:
        return out
    prev_end = -1
    for m in rx.finditer(s):
        if m.start() == m.end() and m.start() == prev_end:
            prev_end = m.end()
            continue
        out.append(m)
        prev_end = m.end()
        if 0 < n <= len(out):
            break
    return out


def _expand(template: str, m: re.Match[str]) -> str:
    """Go's Regexp.Expand: $1, ${1}, $name, ${name}, $$."""
    out: list[str] = []
    i = 0
    n = len(template)
    names = m.re.groupindex
    while i < n:
        c = template[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if template[i + 1] == "{":
            j = template.find("}", i + 2)
            name = template[i + 2 : j] if j > 0 else ""
            if j < 0 or not name or not re.fullmatch(r"\w+", name):
                out.append(c)
                i += 1
                continue
            i = j + 1
        else:
            mm = re.match(r"\w+", template[i + 1 :], re.ASCII)
            if not mm:
                out.append(c)
                i += 1
                continue
            name = mm.group(0)
            i += 1 + len(name)
        if name.isdigit():
            g = int(name)
            out.append((m.group(g) or "") if g <= (m.re.groups) else "")
        elif name in names:
            out.append(m.group(name) or "")
    return "".join(out)


def _replace_all(rx: re.Pattern[str], s: str, repl: Any) -> str:
    out: list[str] = []
    last = 0
    for m in _find_all(rx, s, -1):
        out.append(s[last : m.start()])
        out.append(repl(m))
        last = m.end()
    out.append(s[last:])
    return "".join(out)


def _split(rx: re.Pattern[str], s: str, n: int) -> StrList:
    if n == 0:
        return StrList()
    if rx.pattern and s == "":
        return StrList([""])
    parts = StrList()
    beg = end = 0
    for m in _find_all(rx, s, n):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return parts


def _regex_fns(must: bool) -> None:
    p = "must" if must else ""

    def name(base: str) -> str:
        return p + base[0].upper() + base[1:] if must else base

    def match(r: str, s: str) -> bool:
        try:
            return compile_re2(r).search(s) is not None
        except RegexError:
            if must:
                raise
            return False

    register(MISC, name("regexMatch"), "string string")(match)
    register(MISC, name("regexFindAll"), "string string int")(
        lambda r, s, n: StrList(m.group(0) for m in _find_all(compile_re2(r), s, n))
    )
    register(MISC, name("regexFind"), "string string")(
        lambda r, s: m.group(0) if (m := compile_re2(r).search(s)) else ""
    )
    register(MISC, name("regexReplaceAll"), "string string string")(
        lambda r, s, repl: _replace_all(compile_re2(r), s, lambda m: _expand(repl, m))
    )
    register(MISC, name("regexReplaceAllLiteral"), "string string string")(
        lambda r, s, repl: _replace_all(compile_re2(r), s, lambda m: repl)
    )
    register(MISC, name("regexSplit"), "string string int")(lambda r, s, n: _split(compile_re2(r), s, n))


_regex_fns(False)
_regex_fns(True)

_RE2_META = set("\\.+*?()|[]{}^$")
register(MISC, "regexQuoteMeta", "string")(lambda s: "".join("\\" + c if c in _RE2_META else c for c in s))

# --- paths (path and path/filepath on Linux) --------------------------------------------------


def go_clean(path: str) -> str:
    """path.Clean."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(seg)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


def go_base(path: str) -> str:
    if path == "":
        return "."
    path = path.rstrip("/")
    if path == "":
        return "/"
    return path.rsplit("/", 1)[-1]


def go_dir(path: str) -> str:
    i = path.rfind("/")
    return go_clean(path[: i + 1])


def go_ext(path: str) -> str:
    for i in range(len(path) - 1, -1, -1):
        if path[i] == "/":
            break
        if path[i] == ".":
            return path[i:]
    return ""


for _prefix in ("", "os"):
    register(MISC, _prefix + ("Base" if _prefix else "base"), "string")(go_base)
    register(MISC, _prefix + ("Dir" if _prefix else "dir"), "string")(go_dir)
    register(MISC, _prefix + ("Clean" if _prefix else "clean"), "string")(go_clean)
    register(MISC, _prefix + ("Ext" if _prefix else "ext"), "string")(go_ext)
    register(MISC, _prefix + ("IsAbs" if _prefix else "isAbs"), "string")(lambda p: p.startswith("/"))

# --- flow control ------------------------------------------------------------------------------


@register(MISC, "fail", "string")
def _fail(msg: str) -> str:
    raise FuncError(msg)


# --- time that does not depend on the clock ------------------------------------------------------


def go_duration(ns: int) -> str:
    """time.Duration.String."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = abs(ns)
    if u < 1_000_000_000:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                if size == 1:
                    s = f"{u}ns"
                else:
                    whole, frac = divmod(u, size)
                    fs = f"{frac:0{len(str(size)) - 1}d}".rstrip("0")
                    s = f"{whole}" + (f".{fs}" if fs else "") + unit
                return ("-" if neg else "") + s
    secs, frac = divmod(u, 1_000_000_000)
    fs = f"{frac:09d}".rstrip("0")
    h, rem = divmod(secs, 3600)
    m, sec = divmod(rem, 60)
    out = f"{sec}" + (f".{fs}" if fs else "") + "s"
    if h:
        out = f"{h}h{m}m" + out
    elif m:
        out = f"{m}m" + out
    return ("-" if neg else "") + out


@register(MISC, "duration", "any")
def _duration(sec: Any) -> str:
    # Sprig takes only a string or an int64 here; anything else counts as 0
    if isinstance(sec, str):
        t = sec[1:] if sec[:1] in ("+", "-") else sec
        n = int(sec) if t.isdigit() and t.isascii() else 0
        if not -(1 << 63) <= n < 1 << 63:
            n = 0
    elif isinstance(sec, Int64):
        n = int(sec)
    else:
        n = 0
    ns = n * 1_000_000_000
    if not -(1 << 63) <= ns < 1 << 63:
        ns = ((ns + (1 << 63)) % (1 << 64)) - (1 << 63)
    return go_duration(ns)


# --- refused ---------------------------------------------------------------------------------------

_CHURN = "non-deterministic: the Secret would change on every resync"
refuse(
    MISC,
    f"it reads the clock or the local time zone, {_CHURN}",
    "now",
    "date",
    "dateInZone",
    "date_in_zone",
    "dateModify",
    "date_modify",
    "mustDateModify",
    "must_date_modify",
    "ago",
    "htmlDate",
    "htmlDateInZone",
    "toDate",
    "mustToDate",
    "unixEpoch",
    "durationRound",
)
refuse(
    MISC,
    f"it is random, {_CHURN}",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "randInt",
    "randBytes",
    "shuffle",
    "uuidv4",
)
refuse(
    MISC,
    f"it generates random keys, salts or serial numbers, {_CHURN}",
    "genPrivateKey",
    "genCA",
    "genCAWithKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "buildCustomCert",
    "bcrypt",
    "htpasswd",
    "encryptAES",
)
refuse(
    MISC,
    "it is not supported by sealer; compute the value before sealing",
    "decryptAES",
    "derivePassword",
    "semver",
    "semverCompare",
    "urlParse",
    "urlJoin",
    "getHostByName",
)
_ = (from_bytes, go_len_str)
