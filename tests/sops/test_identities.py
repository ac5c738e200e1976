"""Age identity discovery, source by source, as sops 3.11 does it (age/keysource.go)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from sealer.api import sops as api
from sealer.errors import KeyNotFoundError
from sealer.keys.age_identities import discover, user_config_dir
from tests.sops.conftest import AgeKey, Sops

PLAIN = b"token: abc123\n"


def _encrypted(*recipients: str) -> bytes:
    return api.encrypt(PLAIN, recipients=list(recipients), filename="x.yaml")


def _opens(env: dict[str, str], data: bytes) -> bool:
    found = discover(env)
    try:
        return api.decrypt(data, filename="x.yaml", identities=found.identities) == PLAIN
    except KeyNotFoundError:
        return False


def test_each_environment_source(tmp_path: Path, age_key: AgeKey, other_age_key: AgeKey) -> None:
    data = _encrypted(age_key.recipient)
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(f"# created: now\n# public key: {age_key.recipient}\n{age_key.secret}\n")
    home = {"HOME": str(tmp_path / "home")}
    assert _opens({**home, "SOPS_AGE_KEY": f"{other_age_key.secret}\n{age_key.secret}"}, data)
    assert _opens({**home, "SOPS_AGE_KEY_FILE": str(keys_file)}, data)
    command = f"{sys.executable} -c \"print(open({str(keys_file)!r}).read())\""
    assert _opens({**home, "SOPS_AGE_KEY_CMD": command}, data)
    assert not _opens({**home, "SOPS_AGE_KEY": other_age_key.secret}, data)
    assert not _opens(home, data)


def test_default_keys_file_in_user_config_dir(tmp_path: Path, age_key: AgeKey) -> None:
    data = _encrypted(age_key.recipient)
    for env, config_dir in (
        ({"HOME": str(tmp_path / "h1"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}, tmp_path / "xdg"),
        ({"HOME": str(tmp_path / "h2")}, tmp_path / "h2" / ".config"),
    ):
        assert user_config_dir(env) == config_dir
        keys = config_dir / "sops" / "age" / "keys.txt"
        keys.parent.mkdir(parents=True)
        keys.write_text(age_key.secret + "\n")
        found = discover(env)
        assert str(keys) in found.sources
        assert _opens(env, data)


def test_a_broken_source_does_not_hide_a_good_one(tmp_path: Path, age_key: AgeKey) -> None:
    data = _encrypted(age_key.recipient)
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(age_key.secret + "\n")
    env = {"HOME": str(tmp_path), "SOPS_AGE_KEY": "not-a-key", "SOPS_AGE_KEY_FILE": str(keys_file)}
    found = discover(env)
    assert found.errors and "SOPS_AGE_KEY" in found.describe()
    assert "not-a-key" not in found.describe() and age_key.secret not in found.describe()
    assert _opens(env, data)


def _ssh_key(directory: Path, name: str) -> str:
    """An unencrypted OpenSSH ed25519 key pair; returns the public key line."""
    private = ed25519.Ed25519PrivateKey.generate()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    )
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (directory / f"{name}.pub").write_bytes(public + b"\n")
    return public.decode()


def test_ssh_keys_from_home_and_from_env(tmp_path: Path, sops: Sops) -> None:
    home_public = _ssh_key(tmp_path / "home" / ".ssh", "id_ed25519")
    other_public = _ssh_key(tmp_path / "elsewhere", "deploy_key")
    data = _encrypted(home_public)
    assert _opens({"HOME": str(tmp_path / "home")}, data)
    assert not _opens({"HOME": str(tmp_path / "nobody")}, data)
    other = _encrypted(other_public)
    assert _opens({"HOME": str(tmp_path / "nobody"),
                   "SOPS_AGE_SSH_PRIVATE_KEY_FILE": str(tmp_path / "elsewhere" / "deploy_key")}, other)
    # The real sops opens our ssh-recipient file with the same key.
    path = tmp_path / "x.yaml"
    path.write_bytes(other)
    result = sops.run("decrypt", str(path),
                      extra={"SOPS_AGE_SSH_PRIVATE_KEY_FILE": str(tmp_path / "elsewhere" / "deploy_key")})
    assert result.stdout == PLAIN


def test_decrypt_without_identities_uses_the_environment(
    tmp_path: Path, age_key: AgeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _encrypted(age_key.recipient)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in ("SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOPS_AGE_KEY", age_key.secret)
    assert api.decrypt(data, filename="x.yaml") == PLAIN
    monkeypatch.delenv("SOPS_AGE_KEY")
    with pytest.raises(KeyNotFoundError, match=age_key.recipient):
        api.decrypt(data, filename="x.yaml")
