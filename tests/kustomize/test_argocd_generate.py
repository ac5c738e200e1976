"""`sealer-kustomize argocd-generate` on a sample app, with the environment Argo CD's CMP server sets.

Argo CD runs the generate command in the Application's source directory (a
path inside the unpacked repository) with ARGOCD_APP_* build variables,
ARGOCD_ENV_* from the Application's plugin.env and ARGOCD_APP_PARAMETERS.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ruamel.yaml import YAML

from tests.kustomize.peers import (
    KUBECTL,
    SEALER_KUSTOMIZE,
    AgeKey,
    files_containing,
    marker,
    plugin_env,
    secret_manifest,
    sops_encrypt,
)
from tests.kustomize.sample_app import check_built_objects, write_sample_app


def argocd_env(tmp_path: Path, key: AgeKey | None, **extra: str) -> dict[str, str]:
    env = plugin_env(
        tmp_path,
        key,
        ARGOCD_APP_NAME="web",
        ARGOCD_APP_NAMESPACE="prod",
        ARGOCD_APP_PROJECT_NAME="default",
        ARGOCD_APP_REVISION="f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8",
        ARGOCD_APP_REVISION_SHORT="f913b6c",
        ARGOCD_APP_SOURCE_PATH="apps/web",
        ARGOCD_APP_SOURCE_REPO_URL="https://git.example.com/team/deploy.git",
        ARGOCD_APP_SOURCE_TARGET_REVISION="main",
        KUBE_VERSION="1.31.2",
        KUBE_API_VERSIONS="v1,apps/v1",
        ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS="--load-restrictor LoadRestrictionsRootOnly",
        ARGOCD_APP_PARAMETERS=json.dumps([{"name": "kustomize-build-options", "array": []}]),
    )
    env.update(extra)
    return env


def generate(source_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SEALER_KUSTOMIZE), "argocd-generate"], cwd=source_dir, env=env, capture_output=True, check=False
    )


def test_generate_builds_the_app_with_decrypted_secrets(tmp_path: Path, age_key: AgeKey) -> None:
    repo = tmp_path / "cmp-server" / "repo"
    app = write_sample_app(repo / "apps" / "web", age_key)
    env = argocd_env(tmp_path, age_key)

    result = generate(app.root, env)

    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    check_built_objects(app, list(YAML(typ="safe").load_all(result.stdout)))
    assert files_containing(tmp_path, app.markers) == []
    assert list((tmp_path / "tmp").iterdir()) == []  # the private plugin home is gone


def test_generate_discovery_matches_the_app(tmp_path: Path, age_key: AgeKey) -> None:
    app = write_sample_app(tmp_path / "repo" / "apps" / "web", age_key)
    result = subprocess.run(
        [str(SEALER_KUSTOMIZE), "argocd-discover"],
        cwd=app.root,
        env=argocd_env(tmp_path, age_key),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.decode().strip() in ("second-generator.yaml", "secret-generator.yaml")


def test_files_outside_the_repository_are_refused(tmp_path: Path, age_key: AgeKey) -> None:
    """Another team's SOPS file next to the checkout must not be decryptable through ../ or a symlink."""
    outside = tmp_path / "cmp-server" / "other-app"
    outside.mkdir(parents=True)
    secret = marker("other-team")
    sops_encrypt(secret_manifest("theirs", {"password": secret}), outside / "s.enc.yaml", recipient=age_key.recipient)
    source = tmp_path / "cmp-server" / "repo" / "apps" / "web"
    source.mkdir(parents=True)
    (source / "link.enc.yaml").symlink_to(outside / "s.enc.yaml")
    env = argocd_env(tmp_path, age_key)
    for reference in ("../../../other-app/s.enc.yaml", "./link.enc.yaml"):
        (source / "gen.yaml").write_text(
            f"apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {{name: g}}\nfiles: ['{reference}']\n"
        )
        (source / "kustomization.yaml").write_text("generators: [gen.yaml]\n")

        result = generate(source, env)

        assert result.returncode != 0
        assert result.stdout == b""
        stderr = result.stderr.decode()
        assert stderr.startswith("sealer-kustomize: error: app web (apps/web@f913b6c): kustomize build failed")
        assert f"{reference}: resolves outside" in stderr
        assert secret not in stderr
        assert stderr.count("\n") == 1


def test_generate_errors_name_the_app_and_never_print_manifests(
    tmp_path: Path, age_key: AgeKey, other_age_key: AgeKey
) -> None:
    app = write_sample_app(tmp_path / "repo" / "apps" / "web", age_key)
    result = generate(app.root, argocd_env(tmp_path, other_age_key))
    assert result.returncode != 0
    assert result.stdout == b""
    stderr = result.stderr.decode()
    assert stderr.startswith("sealer-kustomize: error: app web (apps/web@f913b6c): ")
    assert "./secrets/" in stderr
    assert not any(m in stderr for m in app.markers)


def test_missing_key_file_is_reported_before_building(tmp_path: Path, age_key: AgeKey) -> None:
    app = write_sample_app(tmp_path / "repo" / "apps" / "web", age_key)
    env = argocd_env(tmp_path, None, SOPS_AGE_KEY_FILE="/home/argocd/sops-age/keys.txt")
    result = generate(app.root, env)
    assert result.returncode != 0
    assert result.stderr.decode() == (
        "sealer-kustomize: error: app web (apps/web@f913b6c): SOPS_AGE_KEY_FILE=/home/argocd/sops-age/keys.txt "
        "does not exist (mount the age key Secret into the sidecar at that path)\n"
    )


def test_user_options_that_would_run_programs_are_refused(tmp_path: Path, age_key: AgeKey) -> None:
    app = write_sample_app(tmp_path / "repo" / "apps" / "web", age_key)
    env = argocd_env(tmp_path, age_key, ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS="--enable-exec")
    result = generate(app.root, env)
    assert result.returncode != 0
    assert b"'--enable-exec' is not allowed from an Application" in result.stderr


def test_not_a_kustomization(tmp_path: Path, age_key: AgeKey) -> None:
    source = tmp_path / "repo" / "apps" / "web"
    source.mkdir(parents=True)
    result = generate(source, argocd_env(tmp_path, age_key))
    assert result.returncode != 0
    assert b"no kustomization.yaml in apps/web" in result.stderr


KSOPS_V4_GENERATOR = """\
apiVersion: viaduct.ai/v1
kind: ksops
metadata:
  name: v4
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ksops
files: [./secret.enc.yaml]
"""


def test_exec_function_generators_are_refused_not_silently_dropped(tmp_path: Path, age_key: AgeKey) -> None:
    """kubectl kustomize skips a KSOPS v4 manifest (exec function annotation) and succeeds with no Secret.

    Argo CD would then prune the live Secret; argocd-generate stops with a message saying what to change.
    """
    repo = tmp_path / "repo"
    base, overlay = repo / "apps" / "web" / "base", repo / "apps" / "web" / "overlay"
    base.mkdir(parents=True)
    overlay.mkdir(parents=True)
    secret = marker("v4")
    sops_encrypt(secret_manifest("v4", {"password": secret}), base / "secret.enc.yaml", recipient=age_key.recipient)
    (base / "gen.yaml").write_text(KSOPS_V4_GENERATOR)
    (base / "kustomization.yaml").write_text("generators: [gen.yaml]\n")
    (overlay / "kustomization.yaml").write_text("resources: [../base]\nnamePrefix: prod-\n")
    env = argocd_env(tmp_path, age_key, ARGOCD_APP_SOURCE_PATH="apps/web/overlay")
    subprocess.run([str(SEALER_KUSTOMIZE), "install"], env=env, check=True, capture_output=True)

    silent = subprocess.run(
        [str(KUBECTL), "kustomize", "--enable-alpha-plugins", str(overlay)], env=env, capture_output=True, check=False
    )
    assert silent.returncode == 0 and silent.stdout == b""  # the hazard, as the real kubectl shows it

    result = generate(overlay, env)

    assert result.returncode == 3
    assert result.stdout == b""
    assert result.stderr.decode() == (
        "sealer-kustomize: error: app web (apps/web/overlay@f913b6c): apps/web/base/gen.yaml: the generator "
        "declares a config.kubernetes.io/function exec annotation and kubectl kustomize cannot run exec "
        "functions, so kustomize would silently generate nothing from it (remove the annotation (the manifest "
        "then runs as a legacy exec plugin), or use the standalone kustomize with SEALER_KUSTOMIZE_ENABLE_EXEC=true)\n"
    )

    # the one-line fix: without the annotation the same manifest builds through the legacy plugin
    (base / "gen.yaml").write_text(
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: v4\nfiles: [./secret.enc.yaml]\n"
    )
    fixed = generate(overlay, env)
    assert fixed.returncode == 0, fixed.stderr.decode()
    (built,) = YAML(typ="safe").load_all(fixed.stdout)
    assert built["metadata"]["name"] == "prod-v4" and built["stringData"] == {"password": secret}
