"""argocd-generate's handling of Argo CD's environment: what users may pass, where the repository ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sealer_kustomize.argocd import AppContext, build_command, discover, user_build_options

from sealer.errors import InputError


def which_kubectl(name: str) -> str | None:
    return "/usr/bin/kubectl" if name == "kubectl" else None


def which_kustomize(name: str) -> str | None:
    return f"/usr/local/bin/{name}"


def test_build_options_from_env_and_parameters_are_allowlisted() -> None:
    env = {
        "ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS": "--load-restrictor LoadRestrictionsNone",
        "ARGOCD_APP_PARAMETERS": json.dumps(
            [{"name": "kustomize-build-options", "array": ["--enable-helm"]}, {"name": "other", "string": "x"}]
        ),
    }
    assert user_build_options(env) == ["--load-restrictor=LoadRestrictionsNone", "--enable-helm"]


@pytest.mark.parametrize(
    "options",
    [
        "--enable-exec",
        "--helm-command=/bin/sh",
        "--mount=/etc",
        "--env=SOPS_AGE_KEY=x",
        "-o /tmp/out",
        "--load-restrictor=Anything",
        "--enable-helm=false",
        "--load-restrictor",
    ],
)
def test_dangerous_or_malformed_options_are_refused(options: str) -> None:
    with pytest.raises(InputError):
        user_build_options({"ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS": options})


def test_kubectl_is_used_without_exec() -> None:
    assert build_command({}, which=which_kubectl) == ["/usr/bin/kubectl", "kustomize", "--enable-alpha-plugins"]
    with pytest.raises(InputError, match="cannot run exec functions"):
        build_command({"SEALER_KUSTOMIZE_ENABLE_EXEC": "true"}, which=which_kubectl)


def test_standalone_kustomize_gets_exec_only_from_the_operator() -> None:
    assert build_command({}, which=which_kustomize) == ["/usr/local/bin/kustomize", "build", "--enable-alpha-plugins"]
    assert build_command({"SEALER_KUSTOMIZE_ENABLE_EXEC": "true"}, which=which_kustomize)[-1] == "--enable-exec"


def test_helm_gets_argo_cds_kube_versions() -> None:
    env = {
        "ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS": "--enable-helm",
        "KUBE_VERSION": "1.31.2",
        "KUBE_API_VERSIONS": "v1,apps/v1",
    }
    assert build_command(env, which=which_kubectl)[3:] == [
        "--enable-helm",
        "--helm-kube-version=1.31.2",
        "--helm-api-versions=v1,apps/v1",
    ]


def test_repository_root_is_the_source_dir_less_the_source_path() -> None:
    app = AppContext.from_environment({"ARGOCD_APP_SOURCE_PATH": "apps/web/overlays/prod"})
    assert app.repository_root(Path("/tmp/_cmp_server/abc/apps/web/overlays/prod")) == Path("/tmp/_cmp_server/abc")
    # a path that does not match the directory: stay where we are (never wider)
    assert app.repository_root(Path("/tmp/x/other")) == Path("/tmp/x/other")
    assert AppContext.from_environment({}).repository_root(Path("/r")) == Path("/r")
    assert AppContext.from_environment({"ARGOCD_APP_SOURCE_PATH": "../x"}).repository_root(Path("/a/x")) == Path("/a/x")


def test_app_label_names_app_path_and_revision() -> None:
    env = {"ARGOCD_APP_NAME": "web", "ARGOCD_APP_SOURCE_PATH": "apps/web", "ARGOCD_APP_REVISION_SHORT": "f913b6c"}
    assert AppContext.from_environment(env).label == "app web (apps/web@f913b6c)"


def test_discover_follows_the_kustomization_to_its_generators(tmp_path: Path) -> None:
    base, overlay = tmp_path / "base", tmp_path / "overlays" / "prod"
    base.mkdir()
    overlay.mkdir(parents=True)
    (base / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (base / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    (overlay / "kustomization.yaml").write_text("resources: [../../base]\n")
    # a generator file that no kustomization uses does not count
    (overlay / "stray.yaml").write_text("apiVersion: viaduct.ai/v1\nkind: ksops\nfiles: []\n")
    assert discover(overlay) is None

    (base / "gen").mkdir()
    (base / "gen" / "secrets.yaml").write_text("apiVersion: 'sealer.dev/v1'\nkind: SopsGenerator\nfiles: []\n")
    (base / "kustomization.yaml").write_text("resources: [deploy.yaml]\ngenerators: [gen/secrets.yaml]\n")
    assert discover(overlay) == "../../base/gen/secrets.yaml"
    assert discover(base) == "gen/secrets.yaml"


def test_discover_ignores_other_generators(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("generators: [other.yaml]\n")
    (tmp_path / "other.yaml").write_text("apiVersion: builtin\nkind: SecretGenerator\nmetadata: {name: x}\n")
    assert discover(tmp_path) is None
