"""Sprig's hashes, paths and flow control, ``duration``, and the functions we refuse to run."""

from __future__ import annotations

import hashlib
import hmac
import zlib
from typing import Any

from sealer.formats.gotemplate.funcs import FuncError, FuncMap, refuse, register
from sealer.formats.gotemplate.values import Int64, to_bytes
from sealer.go_duration import format_ns

MISC: FuncMap = {}

# --- hashes -------------------------------------------------------------------------------------
register(MISC, "sha1sum", "string")(lambda s: hashlib.sha1(to_bytes(s)).hexdigest())  # noqa: S324 - Sprig's contract
register(MISC, "sha256sum", "string")(lambda s: hashlib.sha256(to_bytes(s)).hexdigest())
register(MISC, "sha512sum", "string")(lambda s: hashlib.sha512(to_bytes(s)).hexdigest())
register(MISC, "adler32sum", "string")(lambda s: str(zlib.adler32(to_bytes(s))))

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

register(MISC, "hello", "")(lambda: "Hello!")

# --- derivePassword: the Master Password algorithm (scrypt, then HMAC-SHA256 picks template characters)

_MPW_SEED = b"com.lyndir.masterpassword"
_MPW_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": [
        "CvcvnoCvcvCvcv",
        "CvcvCvcvnoCvcv",
        "CvcvCvcvCvcvno",
        "CvccnoCvcvCvcv",
        "CvccCvcvnoCvcv",
        "CvccCvcvCvcvno",
        "CvcvnoCvccCvcv",
        "CvcvCvccnoCvcv",
        "CvcvCvccCvcvno",
        "CvcvnoCvcvCvcc",
        "CvcvCvcvnoCvcc",
        "CvcvCvcvCvccno",
        "CvccnoCvccCvcv",
        "CvccCvccnoCvcv",
        "CvccCvccCvcvno",
        "CvcvnoCvccCvcc",
        "CvcvCvccnoCvcc",
        "CvcvCvccCvccno",
        "CvccnoCvcvCvcc",
        "CvccCvcvnoCvcc",
        "CvccCvcvCvccno",
    ],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}
_MPW_CHARS = {
    "V": "AEIOU",
    "C": "BCDFGHJKLMNPQRSTVWXYZ",
    "v": "aeiou",
    "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
    "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789",
    "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}


@register(MISC, "derivePassword", "uint32 string string string string")
def _derive_password(counter: int, kind: str, password: str, user: str, site: str) -> str:
    templates = _MPW_TEMPLATES.get(kind)
    if templates is None:
        return f"cannot find password template {kind}"
    u, st = to_bytes(user), to_bytes(site)
    salt = _MPW_SEED + len(u).to_bytes(4, "big") + u
    key = hashlib.scrypt(to_bytes(password), salt=salt, n=32768, r=8, p=2, maxmem=64 << 20, dklen=64)
    msg = _MPW_SEED + len(st).to_bytes(4, "big") + st + counter.to_bytes(4, "big")
    seed = hmac.new(key, msg, hashlib.sha256).digest()
    template = templates[seed[0] % len(templates)]
    return "".join(_MPW_CHARS[t][seed[i + 1] % len(_MPW_CHARS[t])] for i, t in enumerate(template))


# --- flow control ------------------------------------------------------------------------------


@register(MISC, "fail", "string")
def _fail(msg: str) -> str:
    raise FuncError(msg)


# --- time that does not depend on the clock ------------------------------------------------------


@register(MISC, "duration", "any")
def _duration(sec: Any) -> str:
    # Sprig takes only a string or an int64 here; anything else counts as 0
    if isinstance(sec, str):
        t = sec[1:] if sec[:1] in ("+", "-") else sec
        digits = t.lstrip("0") or "0"  # strconv.ParseInt takes any number of leading zeros
        # (int() of more than 4300 digits raises; 20 digits are past int64 already)
        n = int(digits) if t.isdigit() and t.isascii() and len(digits) <= 19 else 0
        n = -n if sec[:1] == "-" else n
        if not -(1 << 63) <= n < 1 << 63:
            n = 0
    elif isinstance(sec, Int64):
        n = int(sec)
    else:
        n = 0
    ns = n * 1_000_000_000
    if not -(1 << 63) <= ns < 1 << 63:
        ns = ((ns + (1 << 63)) % (1 << 64)) - (1 << 63)
    return format_ns(ns)


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
    "semver",
    "semverCompare",
)
