"""Bad input: one clear line naming the file, a non-zero exit, no output, no plaintext anywhere.

Each case runs the plugin as kustomize does (the installed wrapper, the
generator manifest as argument, the kustomization root as working directory);
one case goes through the real `kubectl kustomize` end to end.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from sealer.errors import ExitCode
from tests.kustomize.peers import (
    KUBECTL,
    SEALER_KUSTOMIZE,
    AgeKey,
    files_containing,
    make_age_key,
    marker,
    plugin_env,
    secret_manifest,
    sops_encrypt,
)

GENERATOR = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: gen\nfiles:\n  - ./secret.enc.yaml\n"


def run_plugin(app: Path, env: dict[str, str], manifest: str = "gen.yaml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SEALER_KUSTOMIZE), manifest], cwd=app, env=env, capture_output=True, text=True, check=False
    )


def tamper_unencrypted_field(path: Path) -> None:
    text = path.read_text()
    assert "type: Opaque" in text
    path.write_text(text.replace("type: Opaque", "type: Tampered"))


def swap_in_foreign_value(path: Path) -> None:
    """A value pasted from another file (as in a bad merge): its tag is fine, the MAC is not."""
    lines = path.read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "password: ENC[" in line)
    other = path.parent / "other.enc.yaml"
    pasted = next(line for line in other.read_text().splitlines(keepends=True) if "password: ENC[" in line)
    lines[index] = pasted
    path.write_text("".join(lines))


@pytest.fixture
def app(tmp_path: Path, age_key: AgeKey) -> tuple[Path, str]:
    root = tmp_path / "app"
    root.mkdir()
    secret = marker("plaintext")
    sops_encrypt(secret_manifest("s", {"password": secret}), root / "secret.enc.yaml", recipient=age_key.recipient)
    sops_encrypt(secret_manifest("s", {"password": marker("x")}), root / "other.enc.yaml", recipient=age_key.recipient)
    (root / "gen.yaml").write_text(GENERATOR)
    return root, secret


def assert_clean_failure(
    result: subprocess.CompletedProcess[str], *, code: int | None, names: str, secret: str, contains: str
) -> None:
    assert result.returncode != 0
    if code is not None:
        assert result.returncode == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("sealer-kustomize: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert names in result.stderr
    assert contains in result.stderr, result.stderr
    assert secret not in result.stderr
    assert "Traceback" not in result.stderr


CASES: dict[str, tuple[Callable[[Path], None], int, str]] = {
    "edited-unencrypted-field": (
        lambda root: tamper_unencrypted_field(root / "secret.enc.yaml"),
        ExitCode.INTEGRITY,
        "MAC",
    ),
    # sealed under another data key: the value itself fails authentication before the MAC is reached
    "pasted-value": (
        lambda root: swap_in_foreign_value(root / "secret.enc.yaml"),
        ExitCode.DECRYPTION,
        "stringData/password could not be decrypted",
    ),
    "not-sops": (
        lambda root: (root / "secret.enc.yaml").write_text(secret_manifest("s", {"password": "public"})),
        ExitCode.INPUT,
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_encrypted_file(app: tuple[Path, str], tmp_path: Path, age_key: AgeKey, case: str) -> None:
    root, secret = app
    damage, code, contains = CASES[case]
    damage(root)
    result = run_plugin(root, plugin_env(tmp_path, age_key))
    assert_clean_failure(result, code=None, names="./secret.enc.yaml", secret=secret, contains=contains)
    assert result.returncode == code, result.stderr
    assert "gen.yaml (ksops/gen): " in result.stderr


def test_wrong_identity(app: tuple[Path, str], tmp_path: Path, other_age_key: AgeKey) -> None:
    root, secret = app
    result = run_plugin(root, plugin_env(tmp_path, other_age_key))
    assert_clean_failure(result, code=None, names="./secret.enc.yaml", secret=secret, contains="ksops/gen")
    assert result.returncode in (ExitCode.KEY, ExitCode.DECRYPTION)


def test_missing_identity(app: tuple[Path, str], tmp_path: Path) -> None:
    root, secret = app
    result = run_plugin(root, plugin_env(tmp_path, None))  # empty HOME, no SOPS_AGE_* variables
    assert_clean_failure(result, code=None, names="./secret.enc.yaml", secret=secret, contains="ksops/gen")
    assert result.returncode in (ExitCode.KEY, ExitCode.DECRYPTION)


def test_key_file_that_does_not_exist(app: tuple[Path, str], tmp_path: Path) -> None:
    root, secret = app
    env = plugin_env(tmp_path, None, SOPS_AGE_KEY_FILE=str(tmp_path / "nope.txt"))
    result = run_plugin(root, env)
    assert_clean_failure(result, code=None, names="secret.enc.yaml", secret=secret, contains="")
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("manifest", "contains"),
    [
        (
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: gen}\nfiles: [./absent.enc.yaml]\n",
            "./absent.enc.yaml: no such file",
        ),
        ("apiVersion: viaduct.ai/v1\nkind: kosps\nfiles: [./secret.enc.yaml]\n", "not a SOPS generator"),
        (
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: gen}\n",
            "missing the required 'files' or 'secretFrom'",
        ),
        ("apiVersion: viaduct.ai/v1\nkind: ksops\nfiles: [./secret.enc.yaml\n", "not valid YAML at line"),
        (
            "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: gen}\nfils: [a]\nfiles: []\n",
            "unknown field 'fils'",
        ),
    ],
)
def test_malformed_generator(
    app: tuple[Path, str], tmp_path: Path, age_key: AgeKey, manifest: str, contains: str
) -> None:
    root, secret = app
    (root / "bad.yaml").write_text(manifest)
    result = run_plugin(root, plugin_env(tmp_path, age_key), "bad.yaml")
    assert_clean_failure(result, code=ExitCode.INPUT, names="bad.yaml", secret=secret, contains=contains)


def test_files_entry_that_is_not_a_kubernetes_object(tmp_path: Path, age_key: AgeKey) -> None:
    root = tmp_path / "app"
    root.mkdir()
    secret = marker("plaintext")
    sops_encrypt(f"password: {secret}\n", root / "secret.enc.yaml", recipient=age_key.recipient, unencrypted_regex=None)
    (root / "gen.yaml").write_text(GENERATOR)
    result = run_plugin(root, plugin_env(tmp_path, age_key))
    assert_clean_failure(
        result, code=ExitCode.INPUT, names="./secret.enc.yaml", secret=secret, contains="is not a Kubernetes object"
    )


def test_through_kubectl_kustomize(app: tuple[Path, str], tmp_path: Path, age_key: AgeKey) -> None:
    root, secret = app
    tamper_unencrypted_field(root / "secret.enc.yaml")
    (root / "kustomization.yaml").write_text("generators: [gen.yaml]\n")
    env = plugin_env(tmp_path, age_key)
    subprocess.run([str(SEALER_KUSTOMIZE), "install"], env=env, check=True, capture_output=True)
    result = subprocess.run(
        [str(KUBECTL), "kustomize", "--enable-alpha-plugins", str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert (
        f"sealer-kustomize: error: ksops/gen in kustomization {root}: MAC mismatch in ./secret.enc.yaml"
        in result.stderr
    )
    assert "./secret.enc.yaml" in result.stderr
    assert secret not in result.stderr
    assert files_containing(tmp_path, [secret]) == []


def test_unreadable_key_file_is_not_echoed(app: tuple[Path, str], tmp_path: Path) -> None:
    """A key file with a typo: the message must not print the key material it could not parse."""
    root, secret = app
    broken = make_age_key(tmp_path, "broken")
    text = broken.key_file.read_text().replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-X")
    broken.key_file.write_text(text)
    result = run_plugin(root, plugin_env(tmp_path, broken))
    assert result.returncode != 0
    assert broken.identity[20:] not in result.stderr
    assert secret not in result.stderr


@pytest.mark.parametrize("limit", ["0", "many"])
def test_bad_concurrency_limit(app: tuple[Path, str], tmp_path: Path, age_key: AgeKey, limit: str) -> None:
    root, secret = app
    result = run_plugin(root, plugin_env(tmp_path, age_key, KSOPS_CONCURRENCY_LIMIT=limit))
    assert_clean_failure(
        result, code=ExitCode.INPUT, names="KSOPS_CONCURRENCY_LIMIT", secret=secret, contains="not a positive integer"
    )
