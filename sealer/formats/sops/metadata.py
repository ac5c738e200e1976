"""The ``sops:`` metadata block: file schema ⇄ in-memory model.

As in sops (``stores/stores.go``), the schema written to files is not the
model: one key group is written as flat ``age:``/``pgp:``... lists, several as
``key_groups:`` (plus ``shamir_threshold``). Field order and omission follow
the Go struct tags of sops 3.11 (our reference binary), which are also what
3.9 to 3.12 write; 3.13 sorts keys alphabetically, and both read either order.

Master keys other than age (PGP, cloud KMS, Vault) are kept verbatim so that
rewriting a file (rotate, set, updatekeys) never drops someone else's access;
we just cannot use them to decrypt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import FormatError
from sealer.formats.sops.crypt import SELECTOR_NAMES, Selectors

__all__ = ["NIL_LIST", "AgeKey", "ForeignKey", "MasterKey", "Metadata", "canonical_rfc3339"]

SOPS_VERSION = "3.11.0"


class _NilList:
    """A Go nil slice without ``omitempty``: YAML prints ``[]``, JSON ``null``."""

    def __repr__(self) -> str:
        return "NIL_LIST"


NIL_LIST: Any = _NilList()

# Field order of each non-age master key type, from sops' Go structs.
_FOREIGN_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "pgp": (("created_at", False), ("enc", False), ("fp", False)),
    "kms": (
        ("arn", False),
        ("role", True),
        ("context", True),
        ("created_at", False),
        ("enc", False),
        ("aws_profile", False),
    ),
    "gcp_kms": (("resource_id", False), ("created_at", False), ("enc", False)),
    "azure_kv": (("vault_url", False), ("name", False), ("version", False), ("created_at", False), ("enc", False)),
    "hc_vault": (
        ("vault_address", False),
        ("engine_path", False),
        ("key_name", False),
        ("created_at", False),
        ("enc", False),
    ),
}
# Order in which sops builds a group from the file's lists (internalGroupFrom).
_GROUP_LOAD_ORDER = ("kms", "gcp_kms", "azure_kv", "hc_vault", "pgp", "age")

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def canonical_rfc3339(text: str) -> str:
    """``time.Parse(RFC3339)`` then ``Format(RFC3339)``: the additional data of the MAC."""
    match = _RFC3339.match(text.strip())
    if match is None:
        raise FormatError(f"sops metadata lastmodified {text!r} is not an RFC 3339 time")
    date, clock, _fraction, zone = match.groups()
    if zone in ("Z", "z", "+00:00", "-00:00"):
        zone = "Z"
    return f"{date}T{clock}{zone}"


@dataclass
class AgeKey:
    recipient: str
    enc: str = ""


@dataclass
class ForeignKey:
    """A PGP/KMS/Vault master key, kept as its file fields."""

    kind: str
    fields: dict[str, Any]

    @property
    def name(self) -> str:
        for attr in ("fp", "arn", "resource_id", "vault_url", "vault_address"):
            if attr in self.fields:
                return f"{self.kind}:{self.fields[attr]}"
        return self.kind


MasterKey = AgeKey | ForeignKey


@dataclass
class Metadata:
    key_groups: list[list[MasterKey]]
    last_modified: str
    mac: str
    selectors: Selectors = field(default_factory=Selectors)
    shamir_threshold: int = 0
    version: str = SOPS_VERSION

    def age_recipients(self) -> list[str]:
        return [key.recipient for group in self.key_groups for key in group if isinstance(key, AgeKey)]

    def all_key_names(self) -> list[str]:
        return [key.recipient if isinstance(key, AgeKey) else key.name for group in self.key_groups for key in group]

    # -- schema -> model ---------------------------------------------------------------------------------

    @classmethod
    def from_schema(cls, raw: object) -> Metadata:
        """Build the model from the ``sops`` mapping as loaded from a file (plain dicts/lists/scalars)."""
        if not isinstance(raw, dict):
            raise FormatError("the sops metadata is not a mapping")

        def text(name: str) -> str:
            value = raw.get(name)
            if value is None:
                return ""
            if isinstance(value, bool | dict | list):
                raise FormatError(f"sops metadata field {name!r} must be a string")
            return str(value)

        last_modified = text("lastmodified")
        if not last_modified:
            raise FormatError("sops metadata has no lastmodified")
        canonical_rfc3339(last_modified)
        version = raw.get("version")
        if isinstance(version, int | float) and not isinstance(version, bool):
            raise FormatError(
                "sops metadata version is a number: files from sops 1.x are not supported; "
                "re-encrypt with sops 2.0.x first"
            )
        selectors = Selectors(
            **{name: text(name) for name in SELECTOR_NAMES},
            mac_only_encrypted=_to_bool(raw.get("mac_only_encrypted")),
        )
        if selectors.rule_count() > 1:
            selectors.effective()  # raises the sops message
        threshold = raw.get("shamir_threshold") or 0
        if isinstance(threshold, str):
            try:
                threshold = int(float(threshold)) if "." in threshold else int(threshold)
            except ValueError:
                raise FormatError("sops metadata shamir_threshold is not an integer") from None
        if isinstance(threshold, float):
            if threshold != int(threshold):
                raise FormatError("sops metadata shamir_threshold is not an integer")
            threshold = int(threshold)
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise FormatError("sops metadata shamir_threshold is not an integer")

        def group_from(source: dict[str, Any]) -> list[MasterKey]:
            group: list[MasterKey] = []
            for kind in _GROUP_LOAD_ORDER:
                entries = source.get(kind) or []
                if not isinstance(entries, list):
                    raise FormatError(f"sops metadata {kind!r} must be a list")
                for entry in entries:
                    if not isinstance(entry, dict):
                        raise FormatError(f"sops metadata {kind!r} entries must be mappings")
                    if kind == "age":
                        recipient, enc = entry.get("recipient"), entry.get("enc")
                        if not isinstance(recipient, str) or not isinstance(enc, str):
                            raise FormatError("sops metadata age entries need string recipient and enc")
                        group.append(AgeKey(recipient=recipient, enc=enc))
                    else:
                        group.append(ForeignKey(kind=kind, fields=dict(entry)))
            return group

        flat = any(raw.get(kind) for kind in _GROUP_LOAD_ORDER)
        groups: list[list[MasterKey]]
        if flat:
            groups = [group_from(raw)]
        elif raw.get("key_groups"):
            entries = raw["key_groups"]
            if not isinstance(entries, list) or not all(isinstance(g, dict) for g in entries):
                raise FormatError("sops metadata key_groups must be a list of mappings")
            groups = [group_from(g) for g in entries]
        else:
            raise FormatError("no keys found in the sops metadata")
        return cls(
            key_groups=groups,
            last_modified=last_modified,
            mac=text("mac"),
            selectors=selectors.effective(),
            shamir_threshold=threshold,
            version=text("version"),
        )

    # -- model -> schema ---------------------------------------------------------------------------------

    def to_schema(self) -> dict[str, Any]:
        """The ``sops`` mapping in sops 3.11's field order (Go struct order, omitempty)."""
        out: dict[str, Any] = {}
        if self.shamir_threshold:
            out["shamir_threshold"] = self.shamir_threshold
        if len(self.key_groups) == 1:
            lists = _lists_of(self.key_groups[0])
            for kind in ("kms", "gcp_kms", "azure_kv", "hc_vault", "age"):
                if lists[kind]:
                    out[kind] = lists[kind]
        else:
            groups = []
            for group in self.key_groups:
                lists = _lists_of(group)
                entry: dict[str, Any] = {}
                for kind in ("pgp", "kms", "gcp_kms", "azure_kv"):
                    if lists[kind]:
                        entry[kind] = lists[kind]
                entry["hc_vault"] = lists["hc_vault"] or NIL_LIST
                entry["age"] = lists["age"] or NIL_LIST
                groups.append(entry)
            if groups:
                out["key_groups"] = groups
        out["lastmodified"] = self.last_modified
        out["mac"] = self.mac
        if len(self.key_groups) == 1 and _lists_of(self.key_groups[0])["pgp"]:
            out["pgp"] = _lists_of(self.key_groups[0])["pgp"]
        for name in SELECTOR_NAMES:
            value = getattr(self.selectors, name)
            if value:
                out[name] = value
        if self.selectors.mac_only_encrypted:
            out["mac_only_encrypted"] = True
        out["version"] = self.version
        return out


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value == "true"
    return bool(value)


def _lists_of(group: list[MasterKey]) -> dict[str, list[dict[str, Any]]]:
    lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in (*_FOREIGN_FIELDS, "age")}
    for key in group:
        if isinstance(key, AgeKey):
            lists["age"].append({"recipient": key.recipient, "enc": key.enc})
        else:
            ordered: dict[str, Any] = {}
            for name, omitempty in _FOREIGN_FIELDS[key.kind]:
                value = key.fields.get(name)
                if omitempty and not value:
                    continue
                ordered[name] = "" if value is None else value
            lists[key.kind].append(ordered)
    return lists
