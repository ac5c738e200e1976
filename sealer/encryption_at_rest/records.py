"""What an etcd scan yields, whichever way etcd was read (live gateway or snapshot file)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Record:
    """One revision of one key: the current value, or an older one etcd still keeps."""

    key: bytes
    mod_revision: int
    value: bytes = field(repr=False)
    current: bool
    create_revision: int = 0
    version: int = 0


def prefix_end(prefix: bytes) -> bytes:
    """etcd's ``range_end`` for every key starting with ``prefix`` (``clientv3.GetPrefixRangeEnd``)."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\x00"  # every key
