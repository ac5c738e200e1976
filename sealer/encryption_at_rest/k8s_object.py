"""What the API server hands to the encryption layer: the serialized object.

Built-in types are stored as protobuf behind a 4-byte magic, ``k8s\\x00``,
wrapping a ``runtime.Unknown``::

    message Unknown { TypeMeta typeMeta = 1; bytes raw = 2;
                      string contentEncoding = 3; string contentType = 4; }
    message TypeMeta { string apiVersion = 1; string kind = 2; }

Custom resources are stored as JSON (``{``), or since Kubernetes 1.32 possibly
as self-described CBOR (tag 55799, bytes ``d9 d9 f7``). Recognising these
shapes is how an audit *proves* that a decrypted value is a real object and
not the output of a wrong key (``aescbc`` has no MAC to tell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sealer.encryption_at_rest import protowire
from sealer.errors import FormatError

PROTOBUF_MAGIC = b"k8s\x00"
CBOR_SELF_DESCRIBED = b"\xd9\xd9\xf7"


@dataclass(frozen=True)
class ObjectShape:
    """The encoding and, when readable, the type of a serialized Kubernetes object."""

    encoding: str  # "protobuf" | "json" | "cbor"
    api_version: str | None
    kind: str | None
    name: str | None = None  # metadata.name / metadata.namespace, when readable
    namespace: str | None = None


def encoding_of(data: bytes) -> str | None:
    """The serialization a stored plaintext value uses, by its first bytes; None if unrecognised."""
    if data.startswith(PROTOBUF_MAGIC):
        return "protobuf"
    if data.startswith(CBOR_SELF_DESCRIBED):
        return "cbor"
    if data.lstrip()[:1] == b"{":
        return "json"
    return None


def parse_object(data: bytes) -> ObjectShape:
    """Check that ``data`` is a serialized Kubernetes object and say what it is; FormatError if not."""
    encoding = encoding_of(data)
    if encoding == "protobuf":
        api_version, kind, raw = _unknown_parts(data[len(PROTOBUF_MAGIC) :])
        name, namespace = _object_meta(raw)
        return ObjectShape("protobuf", api_version, kind, name, namespace)
    if encoding == "json":
        try:
            obj = json.loads(data)
        except (UnicodeDecodeError, ValueError):
            raise FormatError("value starts like JSON but is not valid JSON") from None
        if not isinstance(obj, dict):
            raise FormatError("JSON value is not an object")
        json_version, json_kind = obj.get("apiVersion"), obj.get("kind")
        raw_meta = obj.get("metadata")
        meta: dict[str, object] = raw_meta if isinstance(raw_meta, dict) else {}
        return ObjectShape("json", _str_or_none(json_version), _str_or_none(json_kind),
                           _str_or_none(meta.get("name")), _str_or_none(meta.get("namespace")))
    if encoding == "cbor":
        return ObjectShape("cbor", None, None)
    raise FormatError("not a serialized Kubernetes object (no k8s\\x00, JSON or CBOR prefix)")


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _unknown_parts(message: bytes) -> tuple[str, str, bytes]:
    api_version = kind = None
    raw: bytes | None = None
    for number, wire_type, value in protowire.fields(message):
        if number == 1 and wire_type == protowire.LENGTH_DELIMITED:
            assert isinstance(value, bytes)
            for sub_number, sub_type, sub_value in protowire.fields(value):
                if sub_type == protowire.LENGTH_DELIMITED and isinstance(sub_value, bytes):
                    if sub_number == 1:
                        api_version = _utf8(sub_value)
                    elif sub_number == 2:
                        kind = _utf8(sub_value)
        elif number == 2 and wire_type == protowire.LENGTH_DELIMITED:
            assert isinstance(value, bytes)
            raw = value
    if not kind or api_version is None or raw is None:
        raise FormatError("k8s\\x00 envelope without typeMeta.kind or raw")
    return api_version, kind, raw


def _object_meta(raw: bytes) -> tuple[str | None, str | None]:
    """``metadata`` is field 1 of every top-level built-in type; in ObjectMeta, name is 1 and namespace 3."""
    try:
        for number, wire_type, value in protowire.fields(raw):
            if number == 1 and wire_type == protowire.LENGTH_DELIMITED and isinstance(value, bytes):
                name = namespace = None
                for sub_number, sub_type, sub_value in protowire.fields(value):
                    if sub_type == protowire.LENGTH_DELIMITED and isinstance(sub_value, bytes):
                        if sub_number == 1:
                            name = sub_value.decode("utf-8", "replace")
                        elif sub_number == 3:
                            namespace = sub_value.decode("utf-8", "replace")
                return name, namespace
    except FormatError:
        pass  # an object we cannot look into further is still an object
    return None, None


def _utf8(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("k8s\\x00 envelope holds a non-UTF-8 type name") from None


def encode_unknown(api_version: str, kind: str, raw: bytes) -> bytes:
    """Build a ``k8s\\x00`` envelope (for tests and benchmarks: what the API server would store)."""
    type_meta = protowire.encode_bytes_field(1, api_version.encode()) + protowire.encode_bytes_field(2, kind.encode())
    return PROTOBUF_MAGIC + protowire.encode_bytes_field(1, type_meta) + protowire.encode_bytes_field(2, raw)
