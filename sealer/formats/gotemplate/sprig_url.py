"""Sprig's ``urlParse`` and ``urlJoin``, following Go's ``net/url`` parsing and escaping rules.

Typical use in a SealedSecret: split a sealed DSN into parts, or build one.
"""

from __future__ import annotations

from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, register
from sealer.formats.gotemplate.values import from_bytes, to_bytes

URL: FuncMap = {}

PATH, PATH_SEGMENT, HOST, ZONE, USER_PASSWORD, QUERY_COMPONENT, FRAGMENT = range(1, 8)
_HEX = "0123456789ABCDEF"


def _should_escape(c: int, mode: int) -> bool:
    """net/url's shouldEscape, byte by byte."""
    ch = chr(c)
    if c < 0x80 and ch.isalnum():
        return False
    if mode in (HOST, ZONE) and ch in "!$&'()*+,;=:[]<>\"":
        return False
    if ch in "-_.~":
        return False
    if ch in "$&+,/:;=?@":
        if mode == PATH:
            return ch == "?"
        if mode == PATH_SEGMENT:
            return ch in "/;,?"
        if mode == USER_PASSWORD:
            return ch in "@/?:"
        if mode == QUERY_COMPONENT:
            return True
        if mode == FRAGMENT:
            return False
    if mode == FRAGMENT and ch in "!()*":
        return False
    return True


def escape(s: str, mode: int) -> str:
    out = []
    for c in to_bytes(s):
        if c == 0x20 and mode == QUERY_COMPONENT:
            out.append("+")
        elif _should_escape(c, mode):
            out.append("%" + _HEX[c >> 4] + _HEX[c & 15])
        else:
            out.append(chr(c))
    return "".join(out)


class _URLError(Exception):
    pass


def unescape(s: str, mode: int) -> str:
    b = to_bytes(s)
    i = 0
    out = bytearray()
    while i < len(b):
        c = b[i]
        if c == 0x25:  # %
            h = b[i + 1 : i + 3]
            if len(h) < 2 or not all(chr(x) in "0123456789abcdefABCDEF" for x in h):
                raise _URLError("invalid URL escape")
            if mode == HOST and int(chr(h[0]), 16) < 8 and b[i : i + 3] != b"%25":
                raise _URLError("invalid URL escape")
            out.append(int(h, 16))
            i += 3
            continue
        if c == 0x2B and mode == QUERY_COMPONENT:
            out.append(0x20)
        else:
            if mode in (HOST, ZONE) and c < 0x80 and _should_escape(c, mode):
                raise _URLError("invalid character in host name")
            out.append(c)
        i += 1
    return from_bytes(bytes(out))


def _valid_optional_port(port: str) -> bool:
    if port == "":
        return True
    return port[0] == ":" and all("0" <= c <= "9" for c in port[1:])


_USERINFO_OK = set("-._:~!$&'()*+,;=%@")


def _parse_host(host: str) -> str:
    if host.startswith("["):
        i = host.rfind("]")
        if i < 0:
            raise _URLError("missing ']' in host")
        if not _valid_optional_port(host[i + 1 :]):
            raise _URLError("invalid port after host")
        return unescape(host, HOST)
    i = host.rfind(":")
    if i != -1 and not _valid_optional_port(host[i:]):
        raise _URLError("invalid port after host")
    return unescape(host, HOST)


def go_url_parse(raw: str) -> dict[str, Any]:
    """url.Parse, reduced to the fields Sprig's urlParse returns."""
    rest, _, frag = raw.partition("#")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in rest):
        raise _URLError("invalid control character in URL")
    scheme = ""
    user: tuple[str, str | None] | None = None
    host = path = query = opaque = ""
    if rest == "*":
        path = "*"
    else:
        for i, c in enumerate(rest):
            if c.isascii() and c.isalpha():
                continue
            if c.isascii() and (c.isdigit() or c in "+-."):
                if i == 0:
                    break
                continue
            if c == ":":
                if i == 0:
                    raise _URLError("missing protocol scheme")
                scheme, rest = rest[:i].lower(), rest[i + 1 :]
            break
        if rest.endswith("?") and rest.count("?") == 1:
            rest = rest[:-1]
        else:
            rest, _, query = rest.partition("?")
        if not rest.startswith("/"):
            if scheme:
                opaque = rest
                rest = "\0opaque"
            elif ":" in rest.partition("/")[0]:
                raise _URLError("first path segment in URL cannot contain colon")
        if rest != "\0opaque":
            if (scheme or not rest.startswith("///")) and rest.startswith("//"):
                authority, slash, tail = rest[2:].partition("/")
                rest = slash + tail
                at = authority.rfind("@")
                host = _parse_host(authority[at + 1 :] if at >= 0 else authority)
                if at >= 0:
                    ui = authority[:at]
                    if not all((c.isascii() and c.isalnum()) or c in _USERINFO_OK for c in ui):
                        raise _URLError("invalid userinfo")
                    if ":" in ui:
                        name, _, pw = ui.partition(":")
                        user = (unescape(name, USER_PASSWORD), unescape(pw, USER_PASSWORD))
                    else:
                        user = (unescape(ui, USER_PASSWORD), None)
            path = unescape(rest, PATH)
    fragment = unescape(frag, FRAGMENT) if frag else ""
    colon = host.rfind(":")
    hostname = host[:colon] if colon != -1 and _valid_optional_port(host[colon:]) else host
    if hostname.startswith("[") and hostname.endswith("]"):
        hostname = hostname[1:-1]
    userinfo = ""
    if user is not None:
        userinfo = escape(user[0], USER_PASSWORD) + ("" if user[1] is None else ":" + escape(user[1], USER_PASSWORD))
    return {
        "scheme": scheme,
        "host": host,
        "hostname": hostname,
        "path": path,
        "query": query,
        "opaque": opaque,
        "fragment": fragment,
        "userinfo": userinfo,
    }


@register(URL, "urlParse", "string")
def _url_parse(v: str) -> dict[str, Any]:
    try:
        return go_url_parse(v)
    except _URLError as exc:
        raise FuncError(f"unable to parse url: {exc}") from None


def _meta(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise FuncError(f"interface conversion: interface {{}} is not string (key {key!r})")
    return v


@register(URL, "urlJoin", "map")
def _url_join(d: Any) -> str:
    d = d or {}
    scheme, host, path = _meta(d, "scheme"), _meta(d, "host"), _meta(d, "path")
    query, opaque, fragment, userinfo = (
        _meta(d, "query"),
        _meta(d, "opaque"),
        _meta(d, "fragment"),
        _meta(d, "userinfo"),
    )
    user = None
    if userinfo:
        try:
            parsed = go_url_parse(f"proto://{userinfo}@host")["userinfo"]
        except _URLError as exc:
            raise FuncError(f"unable to parse userinfo in dict: {exc}") from None
        user = parsed
    out = []
    if scheme:
        out.append(scheme + ":")
    if opaque:
        out.append(opaque)
    else:
        if scheme or host or user is not None:
            if host or path or user is not None:
                out.append("//")
            if user is not None:
                out.append(user + "@")
            if host:
                out.append(escape(host, HOST))
        epath = "*" if path == "*" else escape(path, PATH)
        if epath and epath[0] != "/" and host:
            out.append("/")
        if not out and ":" in epath.partition("/")[0]:
            out.append("./")
        out.append(epath)
    if query:
        out.append("?" + query)
    if fragment:
        out.append("#" + escape(fragment, FRAGMENT))
    return "".join(out)
