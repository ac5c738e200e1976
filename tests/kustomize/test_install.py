"""`sealer-kustomize install` puts runnable wrappers exactly where kustomize looks for exec plugins."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sealer_kustomize.install import default_plugin_home, plugin_path

from tests.kustomize.peers import SEALER_KUSTOMIZE, plugin_env


def test_plugin_paths_follow_kustomizes_layout() -> None:
    home = Path("/p")
    assert plugin_path(home, "viaduct.ai/v1", "ksops") == Path("/p/viaduct.ai/v1/ksops/ksops")
    assert plugin_path(home, "sealer.dev/v1", "SopsGenerator") == Path("/p/sealer.dev/v1/sopsgenerator/SopsGenerator")


def test_default_plugin_home_in_kustomizes_order() -> None:
    assert default_plugin_home({"KUSTOMIZE_PLUGIN_HOME": "/k", "XDG_CONFIG_HOME": "/x"}) == Path("/k")
    assert default_plugin_home({"XDG_CONFIG_HOME": "/x", "HOME": "/h"}) == Path("/x/kustomize/plugin")
    assert default_plugin_home({"HOME": "/h"}) == Path("/h/.config/kustomize/plugin")


def test_install_command_writes_executable_wrappers(tmp_path: Path) -> None:
    env = plugin_env(tmp_path, None)
    result = subprocess.run(
        [str(SEALER_KUSTOMIZE), "install", "--bin-dir", str(tmp_path / "bin")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    home = tmp_path / "xdg" / "kustomize" / "plugin"
    installed = [
        home / "viaduct.ai/v1/ksops/ksops",
        home / "sealer.dev/v1/sopsgenerator/SopsGenerator",
        tmp_path / "bin" / "ksops",
    ]
    for path in installed:
        assert f"installed {path}" in result.stderr
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o755
        script = path.read_text()
        assert script.startswith("#!/bin/sh\n")
        assert f'exec {sys.executable} -I -m sealer_kustomize "$@"' in script
    assert sorted(p.name for p in (home / "viaduct.ai/v1/ksops").iterdir()) == ["ksops"]  # no temp files left


def test_installed_wrapper_runs_our_entry_isolated_from_the_checkout(tmp_path: Path) -> None:
    """The wrapper must run *our* package even when the working directory holds a look-alike."""
    env = plugin_env(tmp_path, None)
    subprocess.run([str(SEALER_KUSTOMIZE), "install", "--dir", str(tmp_path / "plugins")], env=env, check=True)
    checkout = tmp_path / "checkout"
    (checkout / "sealer_kustomize").mkdir(parents=True)
    (checkout / "sealer_kustomize" / "__init__.py").write_text("")
    (checkout / "sealer_kustomize" / "__main__.py").write_text("print('hijacked')\n")
    (checkout / "gen.yaml").write_text("apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata: {name: g}\n")
    wrapper = tmp_path / "plugins/viaduct.ai/v1/ksops/ksops"
    result = subprocess.run(
        [str(wrapper), "gen.yaml"],
        cwd=checkout,
        env={**env, "PYTHONPATH": str(checkout)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "hijacked" not in result.stdout
    assert result.returncode == 3
    assert result.stderr == (
        "sealer-kustomize: error: gen.yaml (ksops/g): missing the required 'files' or 'secretFrom' field "
        "(list SOPS-encrypted manifests under files:, or build Secrets with secretFrom:)\n"
    )
    assert os.access(wrapper, os.X_OK)
