"""The real `kubectl kustomize --enable-alpha-plugins` builds with our legacy exec plugin.

kustomize v5 (kubectl's) finds the plugin that `sealer-kustomize install` put
under $XDG_CONFIG_HOME/kustomize/plugin, runs it per generator manifest, and
the Secrets it outputs carry the plaintext the real sops encrypted. After the
build, no file anywhere under the test's HOME, TMPDIR, XDG dir or app dir
holds any of that plaintext.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.kustomize.peers import KUBECTL, SEALER_KUSTOMIZE, AgeKey, files_containing, plugin_env
from tests.kustomize.sample_app import check_built_objects, write_sample_app


def install_plugin(env: dict[str, str]) -> None:
    subprocess.run([str(SEALER_KUSTOMIZE), "install"], env=env, check=True, capture_output=True)


def kustomize_build(directory: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(KUBECTL), "kustomize", "--enable-alpha-plugins", str(directory)],
        env=env,
        capture_output=True,
        check=False,
    )


@pytest.mark.parametrize("kind", ["ksops", "SopsGenerator"])
def test_kubectl_kustomize_builds_with_the_installed_plugin(tmp_path: Path, age_key: AgeKey, kind: str) -> None:
    app = write_sample_app(tmp_path / "app", age_key, kind=kind)
    env = plugin_env(tmp_path, age_key)
    install_plugin(env)

    result = kustomize_build(app.root, env)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    check_built_objects(app, list(YAML(typ="safe").load_all(result.stdout)))
    assert files_containing(tmp_path, app.markers) == []


def test_plugin_home_from_kustomize_plugin_home(tmp_path: Path, age_key: AgeKey) -> None:
    app = write_sample_app(tmp_path / "app", age_key)
    env = plugin_env(tmp_path, age_key, KUSTOMIZE_PLUGIN_HOME=str(tmp_path / "plugins"))
    (tmp_path / "plugins").mkdir()
    install_plugin(env)
    assert (tmp_path / "plugins/viaduct.ai/v1/ksops/ksops").is_file()

    result = kustomize_build(app.root, env)

    assert result.returncode == 0, result.stderr.decode()
    check_built_objects(app, list(YAML(typ="safe").load_all(result.stdout)))


def test_without_alpha_plugins_kustomize_refuses(tmp_path: Path, age_key: AgeKey) -> None:
    """What a user sees when the flag is missing: kustomize's own refusal, and no plaintext anywhere."""
    app = write_sample_app(tmp_path / "app", age_key)
    env = plugin_env(tmp_path, age_key)
    install_plugin(env)
    result = subprocess.run([str(KUBECTL), "kustomize", str(app.root)], env=env, capture_output=True, check=False)
    assert result.returncode != 0
    assert b"plugin" in result.stderr
    assert not any(m.encode() in result.stdout + result.stderr for m in app.markers)


def test_threaded_decryption_gives_the_same_build(tmp_path: Path, age_key: AgeKey) -> None:
    app = write_sample_app(tmp_path / "app", age_key)
    env = plugin_env(tmp_path, age_key)
    install_plugin(env)
    sequential = kustomize_build(app.root, env)
    threaded = kustomize_build(app.root, {**env, "KSOPS_CONCURRENCY_LIMIT": "4"})
    assert sequential.returncode == threaded.returncode == 0, threaded.stderr.decode()
    assert threaded.stdout == sequential.stdout
    check_built_objects(app, list(YAML(typ="safe").load_all(threaded.stdout)))


def test_identities_are_loaded_once_per_run(tmp_path: Path, age_key: AgeKey) -> None:
    """SOPS_AGE_KEY_CMD (a password manager, a KMS call) runs once for all files, not once per file."""
    app = write_sample_app(tmp_path / "app", age_key)
    counter = tmp_path / "calls"
    command = tmp_path / "key-cmd.sh"
    command.write_text(f"#!/bin/sh\necho call >> {counter}\ncat {age_key.key_file}\n")
    command.chmod(0o700)
    env = plugin_env(tmp_path, None, SOPS_AGE_KEY_CMD=str(command))
    result = subprocess.run(
        [str(SEALER_KUSTOMIZE), "secret-generator.yaml"], cwd=app.root, env=env, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    objects = list(YAML(typ="safe").load_all(result.stdout))
    assert len(objects) == 6  # from 7 encrypted files
    assert counter.read_text() == "call\n"
