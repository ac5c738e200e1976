"""``sealer demo``: the whole sealing loop on this machine, no cluster needed.

It does what a cluster would, in order: makes a sealing key exactly as the
Sealed Secrets controller makes one (RSA-4096, self-signed certificate valid
for 10 years, stored as a ``kubernetes.io/tls`` key Secret), seals an example
Secret with only the certificate (what ``kubeseal`` sees), then unseals it with
the key (what the controller does) and checks the result matches. Everything
it prints is demo data generated just now, so nothing is masked.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path

import click

from sealer.api import sealedsecrets as api
from sealer.crypto import rsa_keys
from sealer.formats import manifests
from sealer.keys import key_secrets
from sealer.keys.keyring import SealingKey

EXAMPLE_SECRET = b"""\
apiVersion: v1
kind: Secret
metadata:
  name: demo-db-credentials
  namespace: demo
  labels:
    app.kubernetes.io/name: demo-db
type: Opaque
stringData:
  username: demo-admin
  password: demo-password-not-a-real-one
  url: postgres://demo-admin@demo-db.demo.svc:5432/app
"""


def _section(title: str, body: bytes | str) -> None:
    text = body.decode() if isinstance(body, bytes) else body
    click.echo(click.style(f"\n== {title}", bold=True))
    click.echo(text.rstrip("\n"))


@click.command("demo")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the key Secret, certificate, Secret and SealedSecret there.",
)
def demo(output_dir: Path | None) -> None:
    """Make a key as the controller would, seal an example Secret, unseal it (no cluster; demo data)."""
    started = time.perf_counter()
    click.echo("sealer demo: everything below is DEMO DATA generated on this machine just now; no cluster is used.")

    private_key = rsa_keys.generate_private_key(rsa_keys.DEFAULT_KEY_BITS)
    key = SealingKey(private_key, rsa_keys.self_signed_certificate(private_key), name="sealed-secrets-keydemo")
    assert key.certificate is not None
    key_secret = key_secrets.key_to_secret(key, namespace="kube-system", name=key.name)
    key_yaml = manifests.dump_yaml(key_secret)
    cert_pem = rsa_keys.certificate_to_pem(key.certificate)
    cert = key.certificate
    _section(
        f"1. Sealing key, as the controller makes it (RSA-{private_key.key_size}, self-signed, valid "
        f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}), stored as a key Secret",
        key_yaml,
    )
    _section("2. Its certificate: all that sealing needs (sealer seal --fetch-cert prints this)", cert_pem)
    _section("3. Example Secret (plaintext demo data)", EXAMPLE_SECRET)

    sealed = api.seal(EXAMPLE_SECRET, certificate=cert_pem, output_format="yaml", source="example Secret")
    _section("4. SealedSecret, made with the certificate only (safe to commit)", sealed)

    unsealed = api.unseal(sealed, private_keys=[key], output_format="yaml", source="demo SealedSecret")
    _section("5. Unsealed again with the private key: the Secret the controller would create", unsealed)

    original = manifests.load_documents(EXAMPLE_SECRET)[0]["stringData"]
    recovered = {
        k: base64.b64decode(v).decode() for k, v in manifests.load_documents(unsealed)[0]["data"].items()
    }
    if recovered != original:
        raise click.ClickException("the unsealed values differ from the example Secret")
    click.echo("   decoded: " + ", ".join(f"{k}={v}" for k, v in recovered.items()))
    click.echo(
        f"\nOK: {len(recovered)} values sealed and unsealed back unchanged "
        f"({time.perf_counter() - started:.1f} s, most of it generating the RSA-4096 key)."
    )
    if output_dir is not None:
        from sealer.atomic_write import atomic_write

        output_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(output_dir / "sealing-key-secret.yaml", key_yaml, mode=0o600)
        atomic_write(output_dir / "cert.pem", cert_pem)
        atomic_write(output_dir / "secret.yaml", EXAMPLE_SECRET, mode=0o600)
        atomic_write(output_dir / "sealedsecret.yaml", sealed)
        click.echo(f"Files written to {output_dir}/ (try: sealer seal --cert {output_dir}/cert.pem "
                   f"< {output_dir}/secret.yaml)")
