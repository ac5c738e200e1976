"""The stored value formats of the API server's encryption providers.

Every encrypted value starts with a readable prefix; the rest is binary::

    identity    <serialized object>                      (k8s\\x00..., {..., CBOR)
    aescbc      k8s:enc:aescbc:v1:<key name>:<IV 16><AES-CBC, PKCS#7>
    aesgcm      k8s:enc:aesgcm:v1:<key name>:<nonce 12><ciphertext><tag 16>   AAD = etcd key
    secretbox   k8s:enc:secretbox:v1:<key name>:<nonce 24><tag 16><ciphertext>
    kms v1      k8s:enc:kms:v1:<provider name>:<u16be len><encrypted DEK><AES-CBC or AES-GCM data>
    kms v2      k8s:enc:kms:v2:<provider name>:<protobuf EncryptedObject>

(``k8s.io/apiserver/pkg/server/options/encryptionconfig/config.go`` and the
transformers under ``pkg/storage/value/encrypt``.) The API server matches
prefixes in configuration order, so a key name is whatever follows the
provider prefix up to a configured name's ``:``; without a configuration we
take the text up to the next ``:``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sealer.crypto import at_rest_ciphers
from sealer.encryption_at_rest import k8s_object, protowire
from sealer.errors import DecryptionError, FormatError

ENCRYPTED_MARK = b"k8s:enc:"
LOCAL_PROVIDERS = ("aescbc", "aesgcm", "secretbox")
KMS_V2_DEK_SOURCE_TYPES = {0: "AES_GCM_KEY", 1: "HKDF_SHA256_XNONCE_AES_GCM_SEED"}
_KMS_MAX_FIELD = 1024  # keyID and encryptedDEKSource: at most 1 kB
_KMS_MAX_ANNOTATIONS = 32 * 1024
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def prefix_for(provider: str, name: str, *, kms_version: str = "v2") -> bytes:
    """The exact bytes the API server writes before a value for this provider/key (or KMS plugin) name."""
    if provider in LOCAL_PROVIDERS:
        return f"k8s:enc:{provider}:v1:{name}:".encode()
    if provider == "kms":
        return f"k8s:enc:kms:{kms_version}:{name}:".encode()
    raise ValueError(f"no stored prefix for provider {provider!r}")


@dataclass(frozen=True)
class StoredValue:
    """One value as etcd holds it, split into its provider prefix and body.

    ``provider`` is ``identity`` for plaintext (not encrypted), ``unknown`` for a
    ``k8s:enc:`` prefix we do not know; ``name`` is the key name (local
    providers) or the KMS plugin name.
    """

    provider: str
    version: str | None
    name: str | None
    body: bytes = field(repr=False)

    @property
    def encrypted(self) -> bool:
        return self.provider != "identity"

    @property
    def label(self) -> str:
        if self.provider == "identity":
            return "plaintext"
        if self.provider == "kms":
            return f"kms {self.version}"
        return self.provider


def classify(value: bytes, *, known_names: Mapping[tuple[str, str], Iterable[str]] | None = None) -> StoredValue:
    """Split a stored value into provider, key name and body, without any key.

    ``known_names`` maps ``(provider, version)`` to the configured key (or KMS
    plugin) names, tried in order as the API server does; it resolves names
    that themselves contain ``:``.
    """
    if not value.startswith(ENCRYPTED_MARK):
        return StoredValue("identity", None, None, value)
    rest = value[len(ENCRYPTED_MARK) :]
    parts = rest.split(b":", 2)
    if len(parts) < 3:
        return StoredValue("unknown", None, None, value)
    provider_b, version_b, tail = parts
    try:
        provider, version = provider_b.decode("ascii"), version_b.decode("ascii")
    except UnicodeDecodeError:
        return StoredValue("unknown", None, None, value)
    if provider not in (*LOCAL_PROVIDERS, "kms") or (provider in LOCAL_PROVIDERS and version != "v1") or (
        provider == "kms" and version not in ("v1", "v2")
    ):
        return StoredValue("unknown", provider, None, value)
    for name in (known_names or {}).get((provider, version), ()):
        marker = name.encode() + b":"
        if tail.startswith(marker):
            return StoredValue(provider, version, name, tail[len(marker) :])
    name_b, sep, body = tail.partition(b":")
    if not sep:
        return StoredValue("unknown", provider, None, value)
    return StoredValue(provider, version, name_b.decode("utf-8", "replace"), body)


# -- KMS v2 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedObject:
    """KMS v2's ``EncryptedObject`` (kmsv2/v2/api.proto): fields 1-5."""

    encrypted_data: bytes = field(repr=False)
    key_id: str
    encrypted_dek_source: bytes = field(repr=False)
    annotations: dict[str, bytes] = field(repr=False)
    dek_source_type: int

    @property
    def dek_source_type_name(self) -> str:
        return KMS_V2_DEK_SOURCE_TYPES.get(self.dek_source_type, f"unknown({self.dek_source_type})")


def parse_encrypted_object(body: bytes) -> EncryptedObject:
    """Decode and validate an ``EncryptedObject`` with the API server's rules (ValidateEncryptedObject)."""
    data = b""
    key_id = b""
    dek_source = b""
    source_type = 0
    annotations: dict[str, bytes] = {}
    for number, wire_type, value in protowire.fields(body):
        if number == 1 and isinstance(value, bytes):
            data = value
        elif number == 2 and isinstance(value, bytes):
            key_id = value
        elif number == 3 and isinstance(value, bytes):
            dek_source = value
        elif number == 4 and isinstance(value, bytes):
            entry_key, entry_value = b"", b""
            for sub_number, _, sub_value in protowire.fields(value):
                if sub_number == 1 and isinstance(sub_value, bytes):
                    entry_key = sub_value
                elif sub_number == 2 and isinstance(sub_value, bytes):
                    entry_value = sub_value
            annotations[entry_key.decode("utf-8", "replace")] = entry_value
        elif number == 5 and wire_type == protowire.VARINT and isinstance(value, int):
            source_type = value
    if source_type not in KMS_V2_DEK_SOURCE_TYPES:
        raise FormatError(f"KMS v2 value has unknown encryptedDEKSourceType {source_type}")
    if not data:
        raise FormatError("KMS v2 value has empty encryptedData")
    if not dek_source or len(dek_source) > _KMS_MAX_FIELD:
        raise FormatError("KMS v2 value's encryptedDEKSource is empty or over 1 kB")
    if not key_id or len(key_id) > _KMS_MAX_FIELD:
        raise FormatError("KMS v2 value's keyID is empty or over 1 kB")
    if sum(len(k) + len(v) for k, v in annotations.items()) > _KMS_MAX_ANNOTATIONS:
        raise FormatError("KMS v2 value's annotations exceed 32 kB")
    for name in annotations:
        if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
            raise FormatError("KMS v2 annotation key is not a fully qualified domain name")
    return EncryptedObject(data, key_id.decode("utf-8", "replace"), dek_source, annotations, source_type)


def encode_encrypted_object(obj: EncryptedObject) -> bytes:
    out = protowire.encode_bytes_field(1, obj.encrypted_data)
    out += protowire.encode_bytes_field(2, obj.key_id.encode())
    out += protowire.encode_bytes_field(3, obj.encrypted_dek_source)
    for name, value in sorted(obj.annotations.items()):
        entry = protowire.encode_bytes_field(1, name.encode()) + protowire.encode_bytes_field(2, value)
        out += protowire.encode_bytes_field(4, entry)
    if obj.dek_source_type:
        out += protowire.encode_varint_field(5, obj.dek_source_type)
    return out


def split_kms_v1(body: bytes) -> tuple[bytes, bytes]:
    """KMS v1 body: ``u16be(len) || encrypted DEK || data``; return the two parts."""
    if len(body) < 2:
        raise FormatError("KMS v1 value is too short")
    (length,) = struct.unpack_from(">H", body)
    if length == 0 or len(body) < 2 + length:
        raise FormatError("KMS v1 value's DEK length is impossible")
    return body[2 : 2 + length], body[2 + length :]


# -- opening with a known key ------------------------------------------------------------


def open_local(provider: str, key: bytes, body: bytes, etcd_key: bytes) -> bytes:
    """Decrypt a local-provider body with ``key`` and prove the result is a serialized object.

    The proof matters for ``aescbc``: without a MAC, a wrong key passes the
    padding check about once in 256 tries and yields garbage.
    """
    if provider == "aescbc":
        plaintext = at_rest_ciphers.aescbc_open(key, body)
    elif provider == "aesgcm":
        plaintext = at_rest_ciphers.aesgcm_open(key, body, etcd_key)
    elif provider == "secretbox":
        plaintext = at_rest_ciphers.secretbox_open(key, body)
    else:
        raise ValueError(f"{provider} is not a local provider")
    require_object(plaintext, provider)
    return plaintext


def open_kms_v2(obj: EncryptedObject, dek_or_seed: bytes, etcd_key: bytes) -> bytes:
    """Decrypt KMS v2 ``encryptedData`` given the plaintext DEK (type 0) or seed (type 1) from the plugin."""
    if obj.dek_source_type == 1:
        plaintext = at_rest_ciphers.xnonce_gcm_open(dek_or_seed, obj.encrypted_data, etcd_key)
    else:
        plaintext = at_rest_ciphers.aesgcm_open(dek_or_seed, obj.encrypted_data, etcd_key)
    require_object(plaintext, "kms v2")
    return plaintext


def require_object(plaintext: bytes, provider: str) -> k8s_object.ObjectShape:
    try:
        return k8s_object.parse_object(plaintext)
    except FormatError:
        raise DecryptionError(f"{provider} decrypted to something that is not a Kubernetes object: wrong key") from None


def seal_local(provider: str, name: str, key: bytes, plaintext: bytes, etcd_key: bytes) -> bytes:
    """Encrypt as the API server would (used to write fixtures for benchmarks and round-trip tests)."""
    if provider == "aescbc":
        body = at_rest_ciphers.aescbc_seal(key, plaintext)
    elif provider == "aesgcm":
        body = at_rest_ciphers.aesgcm_seal(key, plaintext, etcd_key)
    elif provider == "secretbox":
        body = at_rest_ciphers.secretbox_seal(key, plaintext)
    else:
        raise ValueError(f"{provider} is not a local provider")
    return prefix_for(provider, name) + body
