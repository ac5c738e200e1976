"""The Argo CD files: a valid CMP definition and a Component that really patches argocd-repo-server."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
from ruamel.yaml import YAML
from sealer_kustomize.__main__ import VERBS

from tests.kustomize.peers import KUBECTL, plugin_env

ARGOCD_DIR = Path(__file__).resolve().parents[2] / "kustomize-plugin" / "argocd"

# The shape of the upstream argocd-repo-server Deployment that the patch relies on.
REPO_SERVER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  labels: {app.kubernetes.io/name: argocd-repo-server}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.1.0
          volumeMounts:
            - {mountPath: /tmp, name: tmp}
            - {mountPath: /home/argocd/cmp-server/plugins, name: plugins}
      volumes:
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
"""


def test_plugin_definition_runs_our_verbs() -> None:
    plugin = YAML(typ="safe").load(ARGOCD_DIR / "plugin.yaml")
    assert plugin["apiVersion"] == "argoproj.io/v1alpha1"
    assert plugin["kind"] == "ConfigManagementPlugin"
    spec = plugin["spec"]
    assert spec["generate"]["command"] == ["sealer-kustomize", "argocd-generate"]
    assert spec["discover"]["find"]["command"] == ["sealer-kustomize", "argocd-discover"]
    for command in (spec["generate"]["command"], spec["discover"]["find"]["command"]):
        assert command[1] in VERBS
    assert spec["preserveFileMode"] is False
    (parameter,) = spec["parameters"]["static"]
    assert parameter["name"] == "kustomize-build-options" and parameter["collectionType"] == "array"


def build_component(tmp_path: Path) -> list[dict[str, Any]]:
    install = tmp_path / "argocd-install"
    install.mkdir()
    (install / "repo-server.yaml").write_text(REPO_SERVER)
    component = os.path.relpath(ARGOCD_DIR, install)
    (install / "kustomization.yaml").write_text(
        f"namespace: argocd\nresources: [repo-server.yaml]\ncomponents: [{component}]\n"
    )
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(install)], env=plugin_env(tmp_path, None), capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return list(YAML(typ="safe").load_all(result.stdout))


def test_component_adds_the_sidecar_with_the_age_key_mounted(tmp_path: Path) -> None:
    objects = {obj["kind"]: obj for obj in build_component(tmp_path)}
    config_map, deployment = objects["ConfigMap"], objects["Deployment"]
    assert config_map["metadata"]["name"].startswith("sealer-kustomize-cmp-")  # content hash kept
    assert YAML(typ="safe").load(config_map["data"]["plugin.yaml"]) == YAML(typ="safe").load(ARGOCD_DIR / "plugin.yaml")

    pod = deployment["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {"argocd-repo-server", "sealer-kustomize"}
    assert containers["argocd-repo-server"]["image"] == "quay.io/argoproj/argocd:v3.1.0"  # untouched
    sidecar = containers["sealer-kustomize"]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert sidecar["securityContext"]["runAsUser"] == 999 and sidecar["securityContext"]["runAsNonRoot"]
    mounts = {m["mountPath"]: m for m in sidecar["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}

    # plugin.yaml comes from the generated ConfigMap, by its hashed name
    plugin_mount = mounts["/home/argocd/cmp-server/config/plugin.yaml"]
    assert plugin_mount["subPath"] == "plugin.yaml"
    assert volumes[plugin_mount["name"]]["configMap"]["name"] == config_map["metadata"]["name"]
    # the CMP server socket dir and binary are the repo-server's
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    # its own /tmp
    assert mounts["/tmp"]["name"] != "tmp"
    # the age key: SOPS_AGE_KEY_FILE points into a read-only mount of the Secret
    env = {e["name"]: e["value"] for e in sidecar["env"]}
    key_file = Path(env["SOPS_AGE_KEY_FILE"])
    key_mount = mounts[str(key_file.parent)]
    assert key_mount["readOnly"] is True
    secret_volume = volumes[key_mount["name"]]["secret"]
    assert secret_volume["secretName"] == "sops-age-key"
    assert {"key": "keys.txt", "path": key_file.name} in secret_volume["items"]


def test_patched_deployment_is_valid_kubernetes(tmp_path: Path) -> None:
    for obj in build_component(tmp_path):
        kubernetes_validate.validate(obj, "1.37.0", strict=True)
