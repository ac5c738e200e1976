"""``sealer encryption-config generate|rotate|validate``: kube-apiserver's EncryptionConfiguration."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sealer.atomic_write import atomic_write
from sealer.cli.etcd import etcd_source_options, run_audit
from sealer.errors import InputError

_PROVIDERS = ("secretbox", "aesgcm", "aescbc", "kms")


def _report(result: Any, written: str | None) -> None:
    for change in result.changes:
        click.echo(change, err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if written:
        click.echo(f"wrote {written} (mode 0600)", err=True)


def _write(result: Any, output: str | None, to_stdout: bool) -> None:
    if to_stdout:
        sys.stdout.buffer.write(result.data)
        sys.stdout.flush()
        _report(result, None)
        return
    assert output is not None
    atomic_write(output, result.data, mode=0o600)
    _report(result, output)


@click.group("encryption-config")
def encryption_config() -> None:
    """Write and maintain kube-apiserver's --encryption-provider-config file."""


@encryption_config.command()
@click.option("--provider", type=click.Choice(_PROVIDERS), default="secretbox", show_default=True,
              help="secretbox (XSalsa20-Poly1305); aesgcm and aescbc are discouraged; kms means KMS v2.")
@click.option("--resource", "resources", multiple=True,
              help="Resource to encrypt (repeatable; default secrets). Wildcards: '*.' (core), '*.apps', '*.*'.")
@click.option("--from-plaintext", is_flag=True,
              help="Add identity last, so Secrets stored before encryption stay readable until rewritten.")
@click.option("--key-size", type=int, help="Key bytes: 16, 24 or 32 for AES (default 32); secretbox only 32.")
@click.option("--key-name", help="Key name (default key-<UTC time>).")
@click.option("--kms-name", help="KMS v2 plugin name (with --provider kms).")
@click.option("--kms-endpoint", help="KMS v2 plugin socket, unix:///path (with --provider kms).")
@click.option("--kms-timeout", help="KMS call timeout, Go duration (default 3s).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (mode 0600).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the configuration, KEY INCLUDED, to stdout.")
def generate(resources: tuple[str, ...], output: str | None, to_stdout: bool, **options: Any) -> None:
    """A new EncryptionConfiguration with a fresh random key.

    The key is written only to the output file (mode 0600), never printed,
    unless --stdout asks for it.
    """
    from sealer.api import at_rest

    if bool(output) == to_stdout:
        raise click.UsageError("pass exactly one of -o FILE or --stdout")
    result = at_rest.generate_encryption_config(resources=resources or ("secrets",), **options)
    _write(result, output, to_stdout)


@encryption_config.command()
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--provider", type=click.Choice(_PROVIDERS[:3]),
              help="Provider of the new key (default: the entry's current one); switches provider if different.")
@click.option("--stage", is_flag=True,
              help="Several API servers: add the key second (read-only) now; restart all, then --promote it.")
@click.option("--promote", "promote_key", metavar="KEY_NAME", help="Make a staged key the write key.")
@click.option("--prune", is_flag=True,
              help="Remove keys and providers nothing in etcd uses, proven by an audit (history included).")
@click.option("--audit-report", type=click.Path(exists=True, dir_okay=False),
              help="With --prune: a 'sealer etcd audit -o json' report instead of auditing now.")
@click.option("--only-resource", "resource", help="Rotate only the entry that covers this resource.")
@click.option("--key-size", type=int, help="New key bytes (AES 16/24/32, default 32).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of in place.")
@etcd_source_options
def rotate(config_file: str, provider: str | None, stage: bool, promote_key: str | None, prune: bool,
           audit_report: str | None, resource: str | None, key_size: int | None, output: str | None,
           **etcd_params: Any) -> None:
    """Add a new write key (old keys stay for reading), promote a staged key, or --prune unused ones.

    Pruning audits etcd first (live with --endpoints/TLS flags, or --snapshot,
    or a saved --audit-report) and removes only what no value — current or
    older revision — still needs.
    """
    from sealer.api import at_rest

    if sum(map(bool, (prune, promote_key, stage))) > 1:
        raise click.UsageError("--prune, --promote and --stage are separate steps; pass one")
    data = Path(config_file).read_bytes()
    if prune:
        if audit_report:
            usage = at_rest.usage_from_report(Path(audit_report).read_bytes())
        else:
            report = run_audit(etcd_params, encryption_config=data, kms_key_ids={})
            usage = report.usage()
        result = at_rest.prune_encryption_config(data, usage=usage)
        if not any("removed" in change for change in result.changes):
            click.echo("nothing to prune: every key and provider is still in use", err=True)
    elif promote_key:
        result = at_rest.promote_encryption_key(data, promote_key, resource=resource)
    else:
        result = at_rest.rotate_encryption_config(data, provider=provider, stage=stage, resource=resource,
                                                  key_size=key_size)
    _write(result, output or config_file, False)
    if not prune and not stage:
        click.echo("next: restart (or let reload) every kube-apiserver, run 'sealer rewrite-secrets', "
                   "then 'sealer encryption-config rotate --prune'", err=True)


@encryption_config.command()
@click.argument("config_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kms-v1-enabled", is_flag=True, help="The API server runs with --feature-gates=KMSv1=true.")
@click.option("--reload", is_flag=True, help="The API server runs with --encryption-provider-config-automatic-reload.")
def validate(config_file: str, kms_v1_enabled: bool, reload: bool) -> None:
    """Check a file against the rules kube-apiserver applies at startup."""
    from sealer.api import at_rest

    errors = at_rest.validate_encryption_config(Path(config_file).read_bytes(), kms_v1_enabled=kms_v1_enabled,
                                                reload=reload)
    if errors:
        for error in errors:
            click.echo(error, err=True)
        raise InputError(f"{config_file}: {len(errors)} problems; kube-apiserver would not start with it")
    click.echo(f"{config_file}: valid", err=True)
