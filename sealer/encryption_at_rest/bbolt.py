"""A read-only reader for bbolt files (etcd's backend), enough to walk a bucket in key order.

Layout (go.etcd.io/bbolt, file format version 2, little-endian): the file is
an array of pages of ``pageSize`` bytes; each page starts with
``id u64 | flags u16 | count u16 | overflow u32``. Pages 0 and 1 are meta
pages (``magic 0xED0CDAED | version | pageSize | flags | root bucket
{pgid, sequence} | freelist | pgid | txid | checksum``, FNV-1a-64 over the
fields before the checksum); the valid one with the highest txid is current.
Branch pages hold ``pos u32 | ksize u32 | pgid u64`` elements, leaf pages
``flags u32 | pos u32 | ksize u32 | vsize u32``, with ``pos`` counted from the
element itself. A leaf value with flag 1 is a sub-bucket: ``root pgid u64 |
sequence u64``, followed by an inline page when ``root`` is 0.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from sealer.errors import FormatError

MAGIC = 0xED0CDAED
_PAGE_HEADER = struct.Struct("<QHHI")
_META = struct.Struct("<IIII QQ QQQ Q")
_BRANCH = struct.Struct("<IIQ")
_LEAF = struct.Struct("<IIII")
_BUCKET = struct.Struct("<QQ")
_BRANCH_FLAG, _LEAF_FLAG, _META_FLAG = 0x01, 0x02, 0x04
_BUCKET_LEAF_FLAG = 0x01
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


def _fnv1a64(data: bytes) -> int:
    h = _FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


class BoltFile:
    """A bbolt database held in memory (snapshots are read once, front to back)."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.page_size, self.root = self._meta()

    def _meta(self) -> tuple[int, int]:
        best: tuple[int, int, int] | None = None
        # Meta page 0 is at offset 0; page 1 at one page size, which we learn from page 0 or guess.
        candidates = [0]
        if len(self.data) >= _PAGE_HEADER.size + _META.size:
            page_size = struct.unpack_from("<I", self.data, _PAGE_HEADER.size + 8)[0]
            if page_size in (1024, 2048, 4096, 8192, 16384, 32768, 65536):
                candidates.append(page_size)
        for offset in candidates:
            if offset + _PAGE_HEADER.size + _META.size > len(self.data):
                continue
            _, flags, _, _ = _PAGE_HEADER.unpack_from(self.data, offset)
            fields = _META.unpack_from(self.data, offset + _PAGE_HEADER.size)
            magic, version, page_size, _, root, _, _, _, txid, checksum = fields
            raw = bytes(self.data[offset + _PAGE_HEADER.size : offset + _PAGE_HEADER.size + _META.size - 8])
            if flags & _META_FLAG and magic == MAGIC and version == 2 and _fnv1a64(raw) == checksum:
                if best is None or txid > best[0]:
                    best = (txid, page_size, root)
        if best is None:
            raise FormatError("not a bbolt database (no valid meta page)", hint="is this an etcd snapshot or db file?")
        return best[1], best[2]

    def _page(self, pgid: int) -> tuple[memoryview, int, int]:
        offset = pgid * self.page_size
        if offset + _PAGE_HEADER.size > len(self.data):
            raise FormatError(f"bbolt page {pgid} lies beyond the end of the file (truncated snapshot?)")
        _, flags, count, overflow = _PAGE_HEADER.unpack_from(self.data, offset)
        end = offset + (overflow + 1) * self.page_size
        if end > len(self.data):
            raise FormatError(f"bbolt page {pgid} is truncated")
        return self.data[offset:end], flags, count

    def _walk(self, page: memoryview, flags: int, count: int) -> Iterator[tuple[bytes, bytes, int]]:
        base = _PAGE_HEADER.size
        if flags & _LEAF_FLAG:
            for i in range(count):
                elem = base + i * _LEAF.size
                leaf_flags, pos, ksize, vsize = _LEAF.unpack_from(page, elem)
                start = elem + pos
                yield bytes(page[start : start + ksize]), bytes(page[start + ksize : start + ksize + vsize]), leaf_flags
        elif flags & _BRANCH_FLAG:
            for i in range(count):
                elem = base + i * _BRANCH.size
                _, _, child = _BRANCH.unpack_from(page, elem)
                yield from self._walk(*self._page(child))
        else:
            raise FormatError(f"bbolt page has unexpected flags {flags:#x}")

    def _bucket_items(self, bucket_value: bytes) -> Iterator[tuple[bytes, bytes, int]]:
        root, _ = _BUCKET.unpack_from(bucket_value)
        if root == 0:  # inline bucket: a page image follows the header
            inline = memoryview(bucket_value)[_BUCKET.size :]
            _, flags, count, _ = _PAGE_HEADER.unpack_from(inline)
            yield from self._walk(inline, flags, count)
        else:
            yield from self._walk(*self._page(root))

    def buckets(self) -> list[bytes]:
        return [k for k, _, f in self._walk(*self._page(self.root)) if f & _BUCKET_LEAF_FLAG]

    def items(self, bucket: bytes) -> Iterator[tuple[bytes, bytes]]:
        """Key/value pairs of a top-level bucket, in key order; FormatError if it does not exist."""
        for key, value, flags in self._walk(*self._page(self.root)):
            if key == bucket and flags & _BUCKET_LEAF_FLAG:
                for k, v, f in self._bucket_items(value):
                    if not f & _BUCKET_LEAF_FLAG:
                        yield k, v
                return
        raise FormatError(f"bbolt database has no {bucket.decode(errors='replace')!r} bucket (not an etcd v3 db?)")
