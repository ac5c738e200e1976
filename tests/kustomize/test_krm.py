"""The KRM exec function answers ResourceLists as the KRM Functions Specification says.

Directly through stdin (as kustomize's exec runtime and kpt call it), and
through the real `kpt fn eval --exec`. (kubectl's kustomize has no
--enable-exec flag, so it cannot run KRM exec functions at all: the legacy
exec plugin is what works with kubectl; see test_legacy_kustomize.py.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.kustomize.peers import SEALER_KUSTOMIZE, AgeKey, files_containing, plugin_env, secret_manifest, sops_encrypt
from tests.kustomize.peers import marker as new_marker

GENERATOR = """\
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: app-secrets
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: sealer-kustomize
files:
  - ./db.enc.yaml
secretFrom:
  - metadata:
      name: env-secret
    envs: [./app.enc.env]
"""


def write_package(directory: Path, key: AgeKey) -> dict[str, str]:
    values = {"password": new_marker("password"), "env": new_marker("env")}
    directory.mkdir(parents=True, exist_ok=True)
    sops_encrypt(
        secret_manifest("db", {"password": values["password"]}), directory / "db.enc.yaml", recipient=key.recipient
    )
    sops_encrypt(f"TOKEN={values['env']}\n", directory / "app.enc.env", recipient=key.recipient)
    return values


def resource_list(generator_as_item: bool) -> str:
    indented = "\n".join("  " + line for line in GENERATOR.splitlines())
    item_generator = ""
    if generator_as_item:
        # kustomize passes the generator as an item too, marked local-config
        item_generator = (
            "\n".join(("- " if i == 0 else "  ") + line for i, line in enumerate(GENERATOR.splitlines())) + "\n"
        )
        item_generator = item_generator.replace(
            "  annotations:\n", "  annotations:\n      config.kubernetes.io/local-config: 'true'\n", 1
        )
    return (
        "apiVersion: config.kubernetes.io/v1\n"
        "kind: ResourceList\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    name: keep-me  # a comment kpt would write back\n"
        "  data: {k: v}\n"
        f"{item_generator}"
        "functionConfig:\n"
        f"{indented}\n"
    )


def call(stdin: str, cwd: Path, env: dict[str, str]) -> tuple[int, Any, str, str]:
    result = subprocess.run(
        [str(SEALER_KUSTOMIZE)], input=stdin.encode(), cwd=cwd, env=env, capture_output=True, check=False
    )
    return result.returncode, YAML(typ="safe").load(result.stdout), result.stdout.decode(), result.stderr.decode()


@pytest.mark.parametrize("generator_as_item", [False, True])
def test_resource_list_gets_generated_items_appended(tmp_path: Path, age_key: AgeKey, generator_as_item: bool) -> None:
    values = write_package(tmp_path / "pkg", age_key)
    env = plugin_env(tmp_path, age_key)

    code, out, raw, err = call(resource_list(generator_as_item), tmp_path / "pkg", env)

    assert code == 0, err
    assert err == ""
    assert out["apiVersion"] == "config.kubernetes.io/v1" and out["kind"] == "ResourceList"
    kinds_names = [(i["kind"], i["metadata"]["name"]) for i in out["items"]]
    expected_inputs = [("ConfigMap", "keep-me")] + ([("ksops", "app-secrets")] if generator_as_item else [])
    # input items kept, in order and untouched, generated ones appended (the generator ran once)
    assert kinds_names == [*expected_inputs, ("Secret", "db"), ("Secret", "env-secret")]
    assert "# a comment kpt would write back" in raw
    assert out["items"][-2]["stringData"] == {"password": values["password"]}
    assert out["items"][-1]["stringData"] == {"TOKEN": values["env"]}
    assert out["results"] == [
        {
            "message": "generated 2 resource(s) from ksops/app-secrets",
            "severity": "info",
            "resourceRef": {"apiVersion": "viaduct.ai/v1", "kind": "ksops", "name": "app-secrets"},
        }
    ]
    assert out["functionConfig"]["metadata"]["name"] == "app-secrets"


def test_running_twice_replaces_rather_than_duplicates(tmp_path: Path, age_key: AgeKey) -> None:
    write_package(tmp_path / "pkg", age_key)
    env = plugin_env(tmp_path, age_key)
    _, _, first, _ = call(resource_list(False), tmp_path / "pkg", env)
    code, out, _, err = call(first, tmp_path / "pkg", env)
    assert code == 0, err
    assert [i["metadata"]["name"] for i in out["items"]] == ["keep-me", "db", "env-secret"]


def test_decryption_failure_is_an_error_result(tmp_path: Path, age_key: AgeKey, other_age_key: AgeKey) -> None:
    values = write_package(tmp_path / "pkg", age_key)
    env = plugin_env(tmp_path, other_age_key)  # the wrong identity

    code, out, raw, err = call(resource_list(False), tmp_path / "pkg", env)

    assert code != 0
    assert [i["metadata"]["name"] for i in out["items"]] == ["keep-me"]
    (result,) = out["results"]
    assert result["severity"] == "error"
    assert result["message"].startswith("ksops/app-secrets: cannot decrypt ./db.enc.yaml: ")
    assert result["resourceRef"]["name"] == "app-secrets"
    assert err == f"sealer-kustomize: error: {result['message']}\n"
    assert not any(v in raw + err for v in values.values())


@pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt is not installed on this machine")
def test_kpt_fn_eval_exec(tmp_path: Path, age_key: AgeKey) -> None:
    package = tmp_path / "pkg"
    values = write_package(package, age_key)
    (package / "generator.yaml").write_text(
        GENERATOR.replace("  annotations:\n", "  annotations:\n    config.kubernetes.io/local-config: 'true'\n", 1)
    )
    (package / "configmap.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep-me\n")
    env = plugin_env(tmp_path, age_key)
    kpt = shutil.which("kpt")
    assert kpt is not None

    result = subprocess.run(
        [kpt, "fn", "eval", ".", "--exec", str(SEALER_KUSTOMIZE), "--fn-config", "generator.yaml", "-o", "stdout"],
        cwd=package,
        env=env,
        capture_output=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr.decode()
    out = YAML(typ="safe").load(result.stdout)
    by_name = {i["metadata"]["name"]: i for i in out["items"]}
    assert set(by_name) == {"keep-me", "app-secrets", "db", "env-secret"}
    assert by_name["db"]["stringData"] == {"password": values["password"]}
    assert by_name["env-secret"]["stringData"] == {"TOKEN": values["env"]}
    # -o stdout: kpt wrote nothing back, and nothing else on disk holds the plaintext
    assert sorted(p.name for p in package.iterdir()) == [
        "app.enc.env",
        "configmap.yaml",
        "db.enc.yaml",
        "generator.yaml",
    ]
    assert files_containing(tmp_path, values) == []


@pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt is not installed on this machine")
def test_kpt_shows_our_error_result(tmp_path: Path, age_key: AgeKey) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "generator.yaml").write_text(
        GENERATOR.replace("  annotations:\n", "  annotations:\n    config.kubernetes.io/local-config: 'true'\n", 1)
    )
    kpt = shutil.which("kpt")
    assert kpt is not None
    result = subprocess.run(
        [kpt, "fn", "eval", ".", "--exec", str(SEALER_KUSTOMIZE), "--fn-config", "generator.yaml", "-o", "stdout"],
        cwd=package,
        env=plugin_env(tmp_path, age_key),
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0
    assert b"ksops/app-secrets: ./db.enc.yaml: no such file" in result.stderr
