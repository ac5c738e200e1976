"""The KRM function's protocol on bad input: always a ResourceList back, a results entry, a non-zero exit.

(Decrypting ResourceLists, through stdin and through kpt, is in test_krm.py.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruamel.yaml import YAML

from tests.kustomize.peers import SEALER_KUSTOMIZE, plugin_env


def krm(tmp_path: Path, stdin: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    result = subprocess.run(
        [str(SEALER_KUSTOMIZE)],
        input=stdin.encode(),
        cwd=tmp_path,
        env=plugin_env(tmp_path, None),
        capture_output=True,
        check=False,
    )
    return result.returncode, YAML(typ="safe").load(result.stdout), result.stderr.decode()


def test_a_non_resource_list_gets_an_error_result(tmp_path: Path) -> None:
    code, out, err = krm(tmp_path, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert code == 3
    assert out["kind"] == "ResourceList"
    assert out["apiVersion"] == "config.kubernetes.io/v1"
    (result,) = out["results"]
    assert result["severity"] == "error"
    assert "not a ResourceList" in result["message"]
    assert err.count("\n") == 1 and "not a ResourceList" in err


def test_invalid_yaml_is_reported_by_position_only(tmp_path: Path) -> None:
    code, out, err = krm(tmp_path, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- a: s3cr3t: x\n")
    assert code == 3
    assert "line 4" in out["results"][0]["message"]
    assert "s3cr3t" not in err and "s3cr3t" not in out["results"][0]["message"]


def test_a_function_config_of_another_kind_says_what_is_expected(tmp_path: Path) -> None:
    resource_list = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: keep-me}
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: fn-config}
"""
    code, out, _err = krm(tmp_path, resource_list)
    assert code == 3
    assert [item["metadata"]["name"] for item in out["items"]] == ["keep-me"]
    (result,) = out["results"]
    assert result["severity"] == "error"
    assert "functionConfig: not a SOPS generator" in result["message"]
    assert "viaduct.ai/v1 kind ksops" in result["message"]


def test_a_missing_file_names_the_generator_and_file_and_leaves_items_alone(tmp_path: Path) -> None:
    resource_list = """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: keep-me}
functionConfig:
  apiVersion: viaduct.ai/v1
  kind: ksops
  metadata:
    name: secrets
    annotations:
      config.kubernetes.io/function: |
        exec:
          path: sealer-kustomize
  files: [./missing.enc.yaml]
"""
    code, out, err = krm(tmp_path, resource_list)
    assert code == 3
    assert [item["metadata"]["name"] for item in out["items"]] == ["keep-me"]
    (result,) = out["results"]
    assert result["severity"] == "error"
    assert result["message"].startswith("ksops/secrets: ./missing.enc.yaml: no such file")
    assert result["resourceRef"] == {"apiVersion": "viaduct.ai/v1", "kind": "ksops", "name": "secrets"}
    assert err == f"sealer-kustomize: error: {result['message']}\n"


def test_no_generator_anywhere(tmp_path: Path) -> None:
    code, out, _ = krm(tmp_path, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n")
    assert code == 3
    assert "no generator in functionConfig or items" in out["results"][0]["message"]
