from __future__ import annotations

import base64
import json
from pathlib import Path

from ruamel.yaml import YAML

from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys import key_secrets
from sealer.keys.keyring import KeyRing

from .conftest import CLI


def test_demo_makes_a_controller_key_seals_and_unseals(sealer_cli: CLI, tmp_path: Path) -> None:
    res = sealer_cli("demo", "--output-dir", str(tmp_path))
    assert res.code == 0, res.err
    text = res.out.decode()
    assert "DEMO DATA" in text and "OK: 3 values sealed and unsealed back unchanged" in text
    assert "password=demo-password-not-a-real-one" in text

    yaml = YAML(typ="safe")
    key_secret = yaml.load((tmp_path / "sealing-key-secret.yaml").read_bytes())
    assert key_secret["type"] == "kubernetes.io/tls"
    assert key_secret["metadata"]["labels"] == {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}
    assert base64.b64decode(key_secret["data"]["tls.key"]).startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    key = key_secrets.key_from_secret(key_secret)
    assert key.private_key.key_size == 4096
    assert key.certificate is not None
    validity = key.certificate.not_valid_after_utc - key.certificate.not_valid_before_utc
    assert 3649 <= validity.days <= 3651
    assert (tmp_path / "sealing-key-secret.yaml").stat().st_mode & 0o077 == 0

    sealed = SealedSecret.from_dict(yaml.load((tmp_path / "sealedsecret.yaml").read_bytes()))
    assert all(v.startswith("Ag") for v in sealed.encrypted_data.values())
    values = decrypt_values(sealed, KeyRing.of([key])).values
    assert values["username"] == b"demo-admin"
    # The printed SealedSecret is the written one, and it holds no plaintext.
    assert "demo-password-not-a-real-one" not in json.dumps(sealed.raw)
