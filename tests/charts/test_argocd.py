"""The chart's Argo CD pieces: the plugin ConfigMap and the repo-server sidecar it documents.

The sidecar goes into argocd-repo-server, which Argo CD's own installation owns, so the chart
prints the values for Argo CD's Helm chart in its notes; those values are parsed here and the
sidecar is validated as a container of a Pod.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

from tests.charts.rendering import CHART_DIR, Rendered
from tests.charts.test_hardening import assert_restricted_container

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM_PLUGIN = ROOT / "kustomize-plugin" / "argocd" / "plugin.yaml"
UPSTREAM_PATCH = ROOT / "kustomize-plugin" / "argocd" / "repo-server-sidecar-patch.yaml"
CMP_CONFIG_PATH = "/home/argocd/cmp-server/config/plugin.yaml"


def argocd_values(rendered: Rendered) -> dict[str, Any]:
    notes = rendered.notes()
    start, end = notes.index("# --- argo-cd values ---"), notes.index("# --- end ---")
    values = yaml.safe_load(notes[start:end])
    assert isinstance(values, dict)
    return values


def test_nothing_for_argocd_unless_enabled(default_render: Rendered) -> None:
    assert default_render.of_kind("ConfigMap") == []
    assert "argo-cd values" not in default_render.notes()


def test_plugin_configmap(renders: dict[str, Rendered]) -> None:
    configmap = renders["argocd"].one("ConfigMap")
    assert configmap["metadata"]["namespace"] == "argocd"
    plugin = yaml.safe_load(configmap["data"]["plugin.yaml"])
    assert plugin["apiVersion"] == "argoproj.io/v1alpha1" and plugin["kind"] == "ConfigManagementPlugin"
    assert plugin["spec"]["generate"]["command"]
    assert configmap["data"]["plugin.yaml"] == (CHART_DIR / "files" / "argocd-cmp-plugin.yaml").read_text()


def test_plugin_is_the_kustomize_plugins_own_definition(renders: dict[str, Rendered]) -> None:
    # A chart cannot read files outside itself, so it carries a copy; it must stay identical.
    shipped = renders["argocd"].one("ConfigMap")["data"]["plugin.yaml"]
    assert shipped == UPSTREAM_PLUGIN.read_text(), "cp kustomize-plugin/argocd/plugin.yaml charts/sealer/files/"


def _sidecar(values: dict[str, Any]) -> dict[str, Any]:
    (container,) = values["repoServer"]["extraContainers"]
    assert isinstance(container, dict)
    return container


def test_sidecar_is_a_valid_hardened_container(renders: dict[str, Rendered]) -> None:
    values = argocd_values(renders["argocd"])
    container = _sidecar(values)
    # Argo CD's chart defines var-files and plugins on the repo-server pod; we add the others.
    volumes = [
        *values["repoServer"]["volumes"],
        {"name": "var-files", "emptyDir": {}},
        {"name": "plugins", "emptyDir": {}},
    ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "repo-server"},
        "spec": {"containers": [container], "volumes": volumes},
    }
    kubernetes_validate.validate(pod, kubernetes_validate.utils.latest_version(), strict=True)
    assert_restricted_container(container, {})
    assert container["securityContext"]["runAsUser"] == 999, "Argo CD runs CMP sidecars as its user 999"
    assert container["command"] == ["/var/run/argocd/argocd-cmp-server"]
    mounted = {m["name"] for m in container["volumeMounts"]}
    assert mounted <= {v["name"] for v in volumes}


def test_sidecar_mounts_the_plugin_and_the_age_key(renders: dict[str, Rendered]) -> None:
    rendered = renders["argocd"]
    values = argocd_values(rendered)
    container = _sidecar(values)
    volumes = {v["name"]: v for v in values["repoServer"]["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}

    plugin_mount = mounts[CMP_CONFIG_PATH]
    assert plugin_mount["subPath"] == "plugin.yaml"
    assert volumes[plugin_mount["name"]]["configMap"]["name"] == rendered.one("ConfigMap")["metadata"]["name"]

    env = {e["name"]: e["value"] for e in container["env"]}
    key_file = Path(env["SOPS_AGE_KEY_FILE"])
    key_mount = mounts[str(key_file.parent)]
    assert key_mount["readOnly"] is True
    secret = volumes[key_mount["name"]]["secret"]
    assert secret["secretName"] == "sops-age-key"
    assert secret["items"] == [{"key": "keys.txt", "path": key_file.name}]
    assert {"/tmp", "/var/run/argocd", "/home/argocd/cmp-server/plugins"} <= mounts.keys()


def test_sidecar_image_follows_values(renders: dict[str, Rendered]) -> None:
    container = _sidecar(argocd_values(renders["argocd"]))
    assert container["image"] == "ghcr.io/sealer-dev/sealer-argocd-sidecar:0.1.0"


def test_sidecar_matches_the_kustomize_plugins_patch(renders: dict[str, Rendered]) -> None:
    """Helm users (these values) and kustomize users (the Component's patch) get the same sidecar."""
    ours = _sidecar(argocd_values(renders["argocd"]))
    patch = yaml.safe_load(UPSTREAM_PATCH.read_text())
    (theirs,) = [c for c in patch["spec"]["template"]["spec"]["containers"] if c["name"] == ours["name"]]
    assert ours["command"] == theirs["command"]
    env = {e["name"]: e.get("value") for e in theirs["env"]}
    assert {e["name"]: e.get("value") for e in ours["env"]}["SOPS_AGE_KEY_FILE"] == env["SOPS_AGE_KEY_FILE"]
    assert {m["mountPath"] for m in ours["volumeMounts"]} == {m["mountPath"] for m in theirs["volumeMounts"]}
    for field in ("runAsNonRoot", "runAsUser", "allowPrivilegeEscalation", "readOnlyRootFilesystem"):
        assert ours["securityContext"][field] == theirs["securityContext"][field], field
    their_volumes = {v["name"]: v for v in patch["spec"]["template"]["spec"]["volumes"]}
    our_volumes = {v["name"]: v for v in argocd_values(renders["argocd"])["repoServer"]["volumes"]}
    assert our_volumes["sops-age-key"]["secret"] == their_volumes["sops-age-key"]["secret"]
    # The Component's ConfigMap carries a content hash after kustomize; the base name is shared.
    assert our_volumes["sealer-kustomize-cmp"]["configMap"] == their_volumes["sealer-kustomize-cmp"]["configMap"]
