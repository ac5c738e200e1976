"""Just enough of the protobuf wire format to read etcd's and the API server's messages.

We read three message types — etcd's ``mvccpb.KeyValue`` (snapshot files),
KMS v2's ``EncryptedObject`` and apimachinery's ``runtime.Unknown`` (the
``k8s\\x00`` envelope) — and write two of them in tests and benchmarks. A
full protobuf runtime would be a heavy dependency for that; the wire format
(varints and length-delimited fields) is small and stable.
"""

from __future__ import annotations

from collections.abc import Iterator

from sealer.errors import FormatError

VARINT = 0
FIXED64 = 1
LENGTH_DELIMITED = 2
FIXED32 = 5


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode one base-128 varint at ``pos``; return ``(value, next_pos)``."""
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise FormatError("truncated protobuf varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise FormatError("protobuf varint longer than 64 bits")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field_number, wire_type, value)``: ints for varint/fixed, bytes for length-delimited."""
    pos = 0
    end = len(data)
    while pos < end:
        tag, pos = read_varint(data, pos)
        number, wire_type = tag >> 3, tag & 7
        if number == 0:
            raise FormatError("protobuf field number 0")
        value: int | bytes
        if wire_type == VARINT:
            value, pos = read_varint(data, pos)
        elif wire_type == LENGTH_DELIMITED:
            length, pos = read_varint(data, pos)
            if pos + length > end:
                raise FormatError("truncated protobuf length-delimited field")
            value = data[pos : pos + length]
            pos += length
        elif wire_type == FIXED64:
            if pos + 8 > end:
                raise FormatError("truncated protobuf fixed64 field")
            value = int.from_bytes(data[pos : pos + 8], "little")
            pos += 8
        elif wire_type == FIXED32:
            if pos + 4 > end:
                raise FormatError("truncated protobuf fixed32 field")
            value = int.from_bytes(data[pos : pos + 4], "little")
            pos += 4
        else:
            raise FormatError(f"unsupported protobuf wire type {wire_type}")
        yield number, wire_type, value


def encode_varint(value: int) -> bytes:
    if value < 0:
        value &= (1 << 64) - 1  # int64 negatives are ten-byte varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_bytes_field(number: int, value: bytes) -> bytes:
    return encode_varint(number << 3 | LENGTH_DELIMITED) + encode_varint(len(value)) + value


def encode_varint_field(number: int, value: int) -> bytes:
    return encode_varint(number << 3 | VARINT) + encode_varint(value)
