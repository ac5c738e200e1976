"""``sealer etcd audit``: what is stored in etcd, how it is encrypted, and whether it should be."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sealer.errors import AuditFindingsError, InputError

F = TypeVar("F", bound=Callable[..., Any])


def etcd_source_options(func: F) -> F:
    """etcdctl's connection flags, plus ``--snapshot FILE`` for offline audits."""
    options = [
        click.option("--endpoints", default="127.0.0.1:2379", show_default=True,
                     help="Comma-separated etcd client URLs (as etcdctl)."),
        click.option("--cacert", type=click.Path(exists=True, dir_okay=False), help="CA bundle to verify etcd."),
        click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (PEM)."),
        click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False), help="Client key (PEM)."),
        click.option("--insecure-skip-tls-verify", is_flag=True, help="Do not verify etcd's certificate."),
        click.option("--user", help="etcd user as name:password (or set ETCDCTL_USER).", envvar="ETCDCTL_USER"),
        click.option("--snapshot", type=click.Path(exists=True, dir_okay=False),
                     help="Audit an etcdctl snapshot file (or a member's db) instead of a live etcd."),
        click.option("--resource", "resources", multiple=True,
                     help="Resource to audit, as EncryptionConfiguration names it (repeatable; default secrets)."),
        click.option("--prefix", "prefixes", multiple=True, help="Raw etcd key prefix to audit (repeatable)."),
        click.option("--etcd-prefix", default="/registry", show_default=True, help="kube-apiserver --etcd-prefix."),
        click.option("--no-history", is_flag=True,
                     help="Skip older revisions (etcd keeps them until compaction; pruning needs them)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def run_audit(params: dict[str, Any], *, encryption_config: bytes | None, kms_key_ids: dict[str, str]) -> Any:
    """Run the audit the etcd source options describe (shared with ``encryption-config rotate --prune``)."""
    from sealer.api import at_rest

    common: dict[str, Any] = {
        "resources": params["resources"], "prefixes": params["prefixes"], "etcd_prefix": params["etcd_prefix"],
        "encryption_config": encryption_config, "history": not params["no_history"], "kms_key_ids": kms_key_ids,
    }
    if params["snapshot"]:
        return at_rest.audit_snapshot(Path(params["snapshot"]).read_bytes(), source=f"snapshot {params['snapshot']}",
                                      **common)
    connection = at_rest.EtcdConnection(
        endpoints=[e.strip() for e in params["endpoints"].split(",") if e.strip()],
        cacert=params["cacert"], cert=params["cert"], key=params["key_file"],
        insecure_skip_tls_verify=params["insecure_skip_tls_verify"], user=params["user"],
    )
    return at_rest.audit_etcd(connection, **common)


def parse_kms_key_ids(items: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, key_id = item.partition("=")
        if not sep or not name or not key_id:
            raise InputError(f"--kms-key-id {item!r} is not NAME=KEYID")
        out[name] = key_id
    return out


@click.group()
def etcd() -> None:
    """Inspect what kube-apiserver stored in etcd."""


@etcd.command()
@etcd_source_options
@click.option("--encryption-config", type=click.Path(exists=True, dir_okay=False),
              help="The API server's EncryptionConfiguration: prove each value decrypts and flag stale keys.")
@click.option("--kms-key-id", "kms_key_ids", multiple=True,
              help="NAME=KEYID: the current key ID of KMS v2 plugin NAME (older key IDs count as stale).")
@click.option("-o", "--output", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--findings-only", is_flag=True, help="Table: list only plaintext/stale/unreadable values.")
def audit(encryption_config: str | None, kms_key_ids: tuple[str, ...], output_format: str, findings_only: bool,
          **params: Any) -> None:
    """Report for every etcd value: plaintext, or which provider and key encrypted it.

    Exits 9 when anything is plaintext, stale, or cannot be read, so it can gate
    CI or a cron job. Never prints secret values.
    """
    config_bytes = Path(encryption_config).read_bytes() if encryption_config else None
    report = run_audit(params, encryption_config=config_bytes, kms_key_ids=parse_kms_key_ids(kms_key_ids))
    if output_format == "json":
        sys.stdout.buffer.write(report.to_json())
    else:
        click.echo(report.to_table(findings_only=findings_only), nl=False)
    sys.stdout.flush()
    findings = report.findings
    if findings:
        counts: dict[str, int] = {}
        for item in findings:
            counts[item.status] = counts.get(item.status, 0) + 1
        raise AuditFindingsError(
            f"{len(findings)} findings: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
            hint="rewrite them with the current key (sealer rewrite-secrets), then audit again",
        )
