"""Classify every stored value, prove it decrypts, and report what is plaintext or stale.

For each etcd record (current value or older revision) the audit says how it
is stored — plaintext, or which provider and key name — and, given the
EncryptionConfiguration, whether the configured key really opens it (the
plaintext must parse as a Kubernetes object: ``aescbc`` has no MAC) and
whether it is *stale*: read by anything but the first key of the first
provider, which is exactly when the API server itself reports a read as stale
and rewrites it on the next update.

A report never contains a value or a key, only names, revisions and verdicts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sealer.encryption_at_rest import k8s_object, values
from sealer.encryption_at_rest.config import KEYED_PROVIDERS, EncryptionConfiguration, Provider
from sealer.encryption_at_rest.k8s_object import encoding_of
from sealer.encryption_at_rest.lifecycle import ResourceUsage, Usage
from sealer.encryption_at_rest.records import Record
from sealer.encryption_at_rest.resources import resource_of
from sealer.errors import DecryptionError, FormatError

OK = "ok"
PLAINTEXT = "plaintext"
STALE = "stale"
UNDECRYPTABLE = "undecryptable"
UNKNOWN = "unknown"
UNCONFIGURED = "unconfigured"
MISPLACED = "misplaced"  # decrypts, but to an object of another name/namespace: copied between keys
FINDINGS = (PLAINTEXT, STALE, UNDECRYPTABLE, UNKNOWN, UNCONFIGURED, MISPLACED)
PROBLEMS = (UNDECRYPTABLE, UNKNOWN, UNCONFIGURED, MISPLACED)  # values whose key use we cannot vouch for

_Verdict = tuple[str, bool | None, str]


@dataclass(frozen=True)
class Item:
    key: str
    resource: str
    revision: int
    current: bool
    provider: str  # plaintext | aescbc | aesgcm | secretbox | kms v1 | kms v2 | unknown
    key_name: str | None
    status: str
    verified: bool | None  # True: decrypted and parsed; False: failed; None: not attempted/possible
    detail: str = ""


@dataclass
class AuditOptions:
    config: EncryptionConfiguration | None = None
    etcd_prefix: str = "/registry"
    kms_key_ids: dict[str, str] = field(default_factory=dict)  # KMS v2 plugin name -> current key ID


def _misplaced(shape: k8s_object.ObjectShape, etcd_key: bytes) -> str:
    """Why the object does not belong at ``etcd_key`` (empty if it does, or if we cannot tell).

    aescbc and secretbox do not bind a value to its etcd key, so someone with
    write access to etcd can swap two Secrets' values unnoticed by the API server.
    """
    if shape.name is None:
        return ""
    parts = etcd_key.decode("utf-8", "replace").rstrip("/").split("/")
    name, namespace = parts[-1], parts[-2] if len(parts) >= 2 else ""
    if shape.name != name or (shape.namespace and shape.namespace != namespace):
        where = f"{shape.namespace}/{shape.name}" if shape.namespace else shape.name
        return f"decrypts to {shape.kind or 'an object'} {where}, not the object at this key"
    return ""


class _Keyring:
    """Decoded key material per (entry, provider index, key index), decoded once."""

    def __init__(self, config: EncryptionConfiguration) -> None:
        self.config = config
        self._cache: dict[tuple[int, int, int], bytes] = {}

    def material(self, entry_index: int, p_index: int, k_index: int, provider: Provider) -> bytes:
        slot = (entry_index, p_index, k_index)
        if slot not in self._cache:
            self._cache[slot] = provider.keys[k_index].material()
        return self._cache[slot]


def _known_names(config: EncryptionConfiguration | None) -> dict[tuple[str, str], list[str]]:
    names: dict[tuple[str, str], list[str]] = {}
    if config is None:
        return names
    for entry in config.resources:
        for provider in entry.providers:
            if provider.kind in KEYED_PROVIDERS:
                names.setdefault((provider.kind, "v1"), []).extend(k.name for k in provider.keys)
            elif provider.kind == "kms" and provider.kms is not None:
                names.setdefault(("kms", provider.kms.effective_api_version), []).append(provider.kms.name)
    return names


class Auditor:
    """Judges records one at a time (so a 10,000-Secret scan streams)."""

    def __init__(self, options: AuditOptions) -> None:
        self.options = options
        self.config = options.config
        self._names = _known_names(self.config)
        self._keys = _Keyring(self.config) if self.config is not None else None

    def judge(self, record: Record) -> Item:
        resource = resource_of(record.key, etcd_prefix=self.options.etcd_prefix)
        stored = values.classify(record.value, known_names=self._names)
        status, verified, detail = self._verdict(record, stored, resource)
        return Item(record.key.decode("utf-8", "replace"), resource, record.mod_revision, record.current,
                    stored.label, stored.name, status, verified, detail)

    def _verdict(self, record: Record, stored: values.StoredValue, resource: str) -> _Verdict:
        if stored.provider == "identity":
            encoding = encoding_of(record.value)
            return PLAINTEXT, None, f"{encoding or 'unrecognised'} object stored unencrypted"
        if stored.provider == "unknown":
            return UNKNOWN, None, "k8s:enc: prefix of an unknown provider or version"
        if self.config is None:
            return self._structure_only(stored)
        chain = [(i, j, provider) for i, entry in enumerate(self.config.resources)
                 if any(entry is e for e in self.config.entries_for(resource))
                 for j, provider in enumerate(entry.providers)]
        if not chain:
            return UNCONFIGURED, None, f"encrypted, but no configuration entry covers {resource}"
        return self._with_config(record, stored, chain)

    @staticmethod
    def _structure_only(stored: values.StoredValue) -> _Verdict:
        if stored.provider == "kms" and stored.version == "v2":
            try:
                obj = values.parse_encrypted_object(stored.body)
            except FormatError as exc:
                return UNKNOWN, False, exc.message
            return OK, None, f"keyID {obj.key_id}, {obj.dek_source_type_name}"
        return OK, None, ""

    def _with_config(self, record: Record, stored: values.StoredValue,
                     chain: list[tuple[int, int, Provider]]) -> _Verdict:
        assert self._keys is not None
        # Like value.NewPrefixTransformers: try every provider (and key) whose prefix matches, in order; the
        # first that decrypts wins, and the read is stale unless that is the first key of the first provider.
        # (Several elements may share a prefix: the same provider listed twice while rotating.)
        failure: str | None = None
        for position, (entry_index, p_index, provider) in enumerate(chain):
            if provider.kind in KEYED_PROVIDERS and stored.provider == provider.kind:
                for k_index, key in enumerate(provider.keys):
                    if key.name != stored.name:
                        continue
                    material = self._keys.material(entry_index, p_index, k_index, provider)
                    try:
                        plaintext = values.open_local(provider.kind, material, stored.body, record.key)
                    except DecryptionError as exc:
                        failure = exc.message
                        continue
                    misplaced = _misplaced(k8s_object.parse_object(plaintext), record.key)
                    if misplaced:
                        return MISPLACED, True, misplaced
                    if position or k_index:
                        return STALE, True, "not the current write key"
                    return OK, True, ""
            kms = provider.kms
            if provider.kind == "kms" and kms is not None and stored.provider == "kms" \
                    and stored.version == kms.effective_api_version and stored.name == kms.name:
                return self._kms(stored, position, kms.name)
        if failure is not None:
            return UNDECRYPTABLE, False, failure
        return UNDECRYPTABLE, False, f"no {stored.label} key or plugin named {stored.name!r} in the configuration"

    def _kms(self, stored: values.StoredValue, p_index: int, name: str) -> _Verdict:
        if stored.version == "v1":
            try:
                values.split_kms_v1(stored.body)
            except FormatError as exc:
                return UNDECRYPTABLE, False, exc.message
            return STALE if p_index else OK, None, "kms v1 (deprecated); decryption needs the plugin"
        try:
            obj = values.parse_encrypted_object(stored.body)
        except FormatError as exc:
            return UNDECRYPTABLE, False, exc.message
        current_id = self.options.kms_key_ids.get(name)
        stale = p_index != 0 or (current_id is not None and obj.key_id != current_id)
        return STALE if stale else OK, None, f"keyID {obj.key_id}, {obj.dek_source_type_name}; " \
                                             "decryption needs the plugin"


@dataclass
class AuditReport:
    source: str
    revision: int
    prefixes: list[str]
    history: bool
    with_config: bool
    items: list[Item]
    covered_resources: list[str]
    all_resources: bool

    @property
    def findings(self) -> list[Item]:
        return [i for i in self.items if i.status in FINDINGS]

    def summary(self) -> dict[str, Any]:
        by_status = Counter(i.status for i in self.items)
        by_encoding = Counter(f"{i.provider}{':' + i.key_name if i.key_name else ''}" for i in self.items)
        return {
            "values": len(self.items),
            "current": sum(1 for i in self.items if i.current),
            "history": sum(1 for i in self.items if not i.current),
            "objects": len({i.key for i in self.items if i.current}),
            "by_status": dict(sorted(by_status.items())),
            "by_encoding": dict(sorted(by_encoding.items())),
            "findings": len(self.findings),
        }

    def to_json(self) -> bytes:
        doc = {
            "kind": "SealerEtcdAudit",
            "version": 1,
            "source": self.source,
            "revision": self.revision,
            "prefixes": self.prefixes,
            "history": self.history,
            "withConfig": self.with_config,
            "coveredResources": self.covered_resources,
            "allResources": self.all_resources,
            "summary": self.summary(),
            "items": [asdict(i) for i in self.items],
        }
        return json.dumps(doc, indent=2).encode() + b"\n"

    def to_table(self, *, findings_only: bool = False) -> str:
        rows = [i for i in self.items if not findings_only or i.status in FINDINGS]
        header = ("KEY", "REV", "WHEN", "STORED AS", "KEY NAME", "DECRYPTS", "STATUS")
        lines = [header]
        for i in rows:
            decrypts = {True: "yes", False: "NO", None: "-"}[i.verified]
            lines.append((i.key, str(i.revision), "current" if i.current else "history", i.provider,
                          i.key_name or "-", decrypts, i.status.upper() if i.status in FINDINGS else i.status))
        widths = [max(len(row[c]) for row in lines) for c in range(len(header))]
        out = ["  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip() for row in lines]
        s = self.summary()
        out.append("")
        out.append(f"{s['values']} values ({s['current']} current, {s['history']} older revisions) of "
                   f"{s['objects']} objects at revision {self.revision} from {self.source}")
        out.append("by status: " + ", ".join(f"{k} {v}" for k, v in s["by_status"].items()))
        out.append("stored as: " + ", ".join(f"{k} {v}" for k, v in s["by_encoding"].items()))
        if not self.history:
            out.append("note: older revisions were not scanned (--no-history); etcd keeps them until compaction")
        return "\n".join(out) + "\n"

    def usage(self) -> Usage:
        return usage_from_items(self.items, set(self.covered_resources), self.all_resources, self.history)


def usage_from_items(items: Iterable[Item], covered: set[str], all_resources: bool, history: bool) -> Usage:
    per: dict[str, ResourceUsage] = {}
    problems = 0
    for i in items:
        seen = per.setdefault(i.resource, ResourceUsage())
        if i.provider == "plaintext":
            seen.plaintext += 1
        elif i.provider.startswith("kms"):
            seen.encodings.add(("kms", i.provider.split(" ")[1], i.key_name))
        else:
            seen.encodings.add((i.provider, "v1", i.key_name))
        if i.status in PROBLEMS:
            problems += 1
    return Usage(per, covered | (set(per) if all_resources else set()), all_resources, history, problems)


def usage_from_report(data: bytes) -> Usage:
    """Rebuild prune evidence from ``sealer etcd audit -o json`` output; FormatError if it is not one."""
    try:
        doc = json.loads(data)
    except ValueError:
        raise FormatError("audit report is not JSON", hint="produce it with: sealer etcd audit -o json") from None
    if not isinstance(doc, dict) or doc.get("kind") != "SealerEtcdAudit":
        raise FormatError("not a sealer etcd audit report", hint="produce it with: sealer etcd audit -o json")
    try:
        items = [Item(**raw) for raw in doc["items"]]
        return usage_from_items(items, set(doc["coveredResources"]), bool(doc["allResources"]), bool(doc["history"]))
    except (KeyError, TypeError):
        raise FormatError("audit report is missing fields (made by another sealer version?)") from None


def audit_records(records: Iterable[Record], options: AuditOptions, *, source: str, revision: int,
                  prefixes: Sequence[str], history: bool, covered: Sequence[str], all_resources: bool) -> AuditReport:
    auditor = Auditor(options)
    items = [auditor.judge(r) for r in records]
    items.sort(key=lambda i: (i.key, -i.revision))
    return AuditReport(source, revision, list(prefixes), history, options.config is not None, items,
                       sorted(covered), all_resources)
