"""Kubernetes encryption at rest as a library: configuration lifecycle, etcd audit, Secret rewrite.

Configuration functions take and return the file's bytes (a rotated, promoted
or pruned file keeps the user's comments and layout:
:mod:`sealer.encryption_at_rest.roundtrip` renders the model's result into
their document); the audit takes
etcd connection settings or a snapshot's bytes and returns a report object
(render it with ``to_table()``/``to_json()``); :func:`rewrite_secrets` drives
the Kubernetes API through :mod:`sealer.kube`, imported only when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sealer.encryption_at_rest import config as config_file
from sealer.encryption_at_rest import lifecycle, roundtrip, validation
from sealer.encryption_at_rest.audit import AuditOptions, AuditReport, audit_records, usage_from_report
from sealer.encryption_at_rest.etcd_gateway import EtcdConnection, EtcdGateway
from sealer.encryption_at_rest.lifecycle import Usage
from sealer.encryption_at_rest.resources import etcd_prefix_for, resource_of
from sealer.encryption_at_rest.rewrite import RewriteOptions, RewriteSummary
from sealer.encryption_at_rest.snapshot import scan_snapshot
from sealer.errors import InputError

if TYPE_CHECKING:
    from sealer.encryption_at_rest.rewrite import Progress

__all__ = [
    "AuditReport",
    "ConfigResult",
    "EtcdConnection",
    "RewriteOptions",
    "RewriteSummary",
    "Usage",
    "audit_etcd",
    "audit_snapshot",
    "generate_encryption_config",
    "promote_encryption_key",
    "prune_encryption_config",
    "rewrite_secrets",
    "rotate_encryption_config",
    "usage_from_report",
    "validate_encryption_config",
]


@dataclass
class ConfigResult:
    """A configuration file's new bytes, what changed, and the documentation's warnings about it."""

    data: bytes = field(repr=False)
    changes: list[str]
    warnings: list[str]
    key_name: str | None = None


def validate_encryption_config(data: bytes, *, kms_v1_enabled: bool = False, reload: bool = False) -> list[str]:
    """Every reason kube-apiserver would refuse the file (empty list: it would load); FormatError if unparsable."""
    parsed = config_file.loads(data)
    return [str(e) for e in validation.validate(parsed, kms_v1_enabled=kms_v1_enabled, reload=reload)]


def _load_valid(data: bytes) -> config_file.EncryptionConfiguration:
    parsed = config_file.loads(data)
    errors = validation.validate(parsed)
    if errors:
        raise InputError("the configuration would not load in kube-apiserver: " + "; ".join(map(str, errors)),
                         hint="fix it first (sealer encryption-config validate FILE)")
    return parsed


def _rewritten(original: bytes, result: lifecycle.Rotated) -> ConfigResult:
    """The new configuration written into the user's document: their comments, key order and layout kept."""
    data, lost = roundtrip.dumps_into(original, result.config)
    return ConfigResult(data, result.changes, result.warnings + ([lost] if lost else []))


def generate_encryption_config(
    *,
    provider: str = lifecycle.DEFAULT_PROVIDER,
    resources: Sequence[str] = ("secrets",),
    from_plaintext: bool = False,
    key_size: int | None = None,
    key_name: str | None = None,
    kms_name: str | None = None,
    kms_endpoint: str | None = None,
    kms_timeout: str | None = None,
) -> ConfigResult:
    made = lifecycle.generate(provider=provider, resources=resources, from_plaintext=from_plaintext,
                              key_size=key_size, key_name=key_name, kms_name=kms_name, kms_endpoint=kms_endpoint,
                              kms_timeout=kms_timeout)
    what = f"kms v2 plugin {made.key_name}" if provider == "kms" else f"{provider} key {made.key_name}"
    changes = [f"new configuration for {', '.join(resources)}: {what}"
               + (", identity last for reading plaintext" if from_plaintext else "")]
    return ConfigResult(config_file.dumps(made.config), changes, made.warnings, made.key_name)


def rotate_encryption_config(data: bytes, *, provider: str | None = None, stage: bool = False,
                             resource: str | None = None, key_size: int | None = None) -> ConfigResult:
    rotated = lifecycle.rotate(_load_valid(data), provider=provider, stage=stage, resource=resource,
                               key_size=key_size)
    return _rewritten(data, rotated)


def promote_encryption_key(data: bytes, key_name: str, *, resource: str | None = None) -> ConfigResult:
    promoted = lifecycle.promote(_load_valid(data), key_name, resource=resource)
    return _rewritten(data, promoted)


def prune_encryption_config(data: bytes, *, usage: Usage) -> ConfigResult:
    pruned = lifecycle.prune(_load_valid(data), usage)
    return _rewritten(data, pruned)


def _prefixes(resources: Sequence[str], prefixes: Sequence[str], etcd_prefix: str) -> tuple[list[str], list[str], bool]:
    """The etcd prefixes to scan, the resources they cover *completely*, and whether that is everything.

    A raw ``--prefix`` covers a resource only if it is that resource's whole
    prefix: pruning on the evidence of one namespace would strand the others.
    """
    chosen = list(prefixes) + [etcd_prefix_for(r, etcd_prefix=etcd_prefix) for r in resources]
    covered = list(resources)
    if not chosen:
        chosen = [etcd_prefix_for("secrets", etcd_prefix=etcd_prefix)]
        covered = ["secrets"]
    for prefix in prefixes:
        resource = resource_of(prefix.encode() + b"x/y", etcd_prefix=etcd_prefix)
        if etcd_prefix_for(resource, etcd_prefix=etcd_prefix) == prefix:
            covered.append(resource)
    all_resources = any(p.rstrip("/") == etcd_prefix.rstrip("/") for p in chosen)
    return chosen, covered, all_resources


def _options(encryption_config: bytes | None, etcd_prefix: str, kms_key_ids: dict[str, str] | None) -> AuditOptions:
    parsed = _load_valid(encryption_config) if encryption_config is not None else None
    return AuditOptions(config=parsed, etcd_prefix=etcd_prefix, kms_key_ids=dict(kms_key_ids or {}))


def audit_etcd(
    connection: EtcdConnection,
    *,
    resources: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    etcd_prefix: str = "/registry",
    encryption_config: bytes | None = None,
    history: bool = True,
    kms_key_ids: dict[str, str] | None = None,
) -> AuditReport:
    """Scan a live etcd (default ``/registry/secrets/``) and judge every value and kept revision."""
    options = _options(encryption_config, etcd_prefix, kms_key_ids)
    chosen, covered, all_resources = _prefixes(resources, prefixes, etcd_prefix)
    with EtcdGateway(connection) as gateway:
        scan = gateway.scan([p.encode() for p in chosen], history=history)
        return audit_records(scan.records, options, source="etcd " + ",".join(connection.endpoints),
                             revision=scan.revision, prefixes=chosen, history=history, covered=covered,
                             all_resources=all_resources)


def audit_snapshot(
    data: bytes,
    *,
    source: str = "snapshot",
    resources: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    etcd_prefix: str = "/registry",
    encryption_config: bytes | None = None,
    history: bool = True,
    kms_key_ids: dict[str, str] | None = None,
) -> AuditReport:
    """Like :func:`audit_etcd`, from the bytes of an ``etcdctl snapshot save`` file (or a member's db)."""
    options = _options(encryption_config, etcd_prefix, kms_key_ids)
    chosen, covered, all_resources = _prefixes(resources, prefixes, etcd_prefix)
    scan = scan_snapshot(data, [p.encode() for p in chosen], history=history)
    return audit_records(scan.records, options, source=source, revision=scan.revision, prefixes=chosen,
                         history=history, covered=covered, all_resources=all_resources)


def rewrite_secrets(
    options: RewriteOptions,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> RewriteSummary:
    """Read and write back every selected Secret through the API server (see :mod:`.rewrite`)."""
    from sealer.encryption_at_rest.rewrite import run_rewrite
    from sealer.kube.secrets_rewrite import KubeSecretsClient

    with KubeSecretsClient.connect(kubeconfig=kubeconfig, context=context) as client:
        return run_rewrite(client, options, progress=progress)
