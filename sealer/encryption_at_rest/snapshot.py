"""Audit input from an etcd snapshot file (``etcdctl snapshot save``) or a member's ``db`` file.

etcd's MVCC store keeps every revision in the bbolt bucket ``key``: the bbolt
key is the revision (``main u64be | '_' | sub u64be``, plus ``'t'`` for a
deletion tombstone), the value an ``mvccpb.KeyValue`` protobuf
(``key=1 create_revision=2 mod_revision=3 version=4 value=5 lease=6``). So
a snapshot holds not only current values but each older revision that was
not yet compacted — exactly what an audit must see. ``etcdctl snapshot save``
appends a SHA-256 of the database; we verify it when present.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from sealer.encryption_at_rest import protowire
from sealer.encryption_at_rest.bbolt import BoltFile
from sealer.encryption_at_rest.etcd_gateway import ScanResult
from sealer.encryption_at_rest.records import Record
from sealer.errors import FormatError, IntegrityError

_REVISION_BYTES = 17
_SHA256 = 32


def verify_checksum(data: bytes) -> bool:
    """True if ``data`` ends with a valid snapshot SHA-256; False if it has none; IntegrityError if wrong."""
    if len(data) % 512 != _SHA256:
        return False
    body, digest = data[:-_SHA256], data[-_SHA256:]
    if hashlib.sha256(body).digest() != digest:
        raise IntegrityError("etcd snapshot checksum does not match: the file is corrupted or truncated")
    return True


def _key_value(message: bytes) -> tuple[bytes, int, int, int, bytes]:
    key = value = b""
    create = mod = version = 0
    for number, _, item in protowire.fields(message):
        if number == 1 and isinstance(item, bytes):
            key = item
        elif number == 2 and isinstance(item, int):
            create = item
        elif number == 3 and isinstance(item, int):
            mod = item
        elif number == 4 and isinstance(item, int):
            version = item
        elif number == 5 and isinstance(item, bytes):
            value = item
    return key, create, mod, version, value


def scan_snapshot(data: bytes, prefixes: Sequence[bytes], *, history: bool = True) -> ScanResult:
    """Every revision under ``prefixes`` in a snapshot's bytes; current values flagged ``current``."""
    verify_checksum(data)
    bolt = BoltFile(data)
    latest: dict[bytes, tuple[int, bool]] = {}  # key -> (main revision, is tombstone)
    kept: list[tuple[int, bytes, int, int, int, bytes]] = []
    top = 0
    for rev, message in bolt.items(b"key"):
        if len(rev) < _REVISION_BYTES or rev[8:9] != b"_":
            raise FormatError("snapshot 'key' bucket holds a key that is not an MVCC revision")
        main = int.from_bytes(rev[:8], "big")
        top = max(top, main)
        tombstone = len(rev) > _REVISION_BYTES and rev[_REVISION_BYTES:] == b"t"
        key, create, mod, version, value = _key_value(message)
        if not any(key.startswith(p) for p in prefixes):
            continue
        latest[key] = (main, tombstone)
        if not tombstone:
            kept.append((main, key, create, mod or main, version, value))
    return ScanResult(top, _records(kept, latest, history))


def _records(kept: list[tuple[int, bytes, int, int, int, bytes]], latest: dict[bytes, tuple[int, bool]],
             history: bool) -> Iterator[Record]:
    for main, key, create, mod, version, value in kept:
        current = latest[key] == (main, False)
        if current or history:
            yield Record(key, mod, value, current, create, version)
