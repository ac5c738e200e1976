"""``sealer-kustomize install``: put the exec plugins where kustomize looks for them.

kustomize finds a legacy exec plugin for ``apiVersion: <group>/<version>``,
``kind: <Kind>`` at ``<plugin home>/<group>/<version>/<lowercase kind>/<Kind>``,
the plugin home being the first of ``$KUSTOMIZE_PLUGIN_HOME``,
``$XDG_CONFIG_HOME/kustomize/plugin``, ``$HOME/.config/kustomize/plugin`` that
exists. We install one small ``/bin/sh`` wrapper for each generator kind, which
execs *this* Python interpreter on our entry point; a copied static binary is
not an option for a Python plugin.

The interpreter runs with ``-I`` (isolated): kustomize runs plugins inside the
user's checkout, and without it ``python -m`` would import modules from that
directory and ``PYTHON*`` variables would apply.

``--bin-dir`` also installs a ``ksops`` command there, so KSOPS v4 manifests
that say ``config.kubernetes.io/function: {exec: {path: ksops}}`` run us
unchanged under ``kustomize build --enable-alpha-plugins --enable-exec``.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path

from sealer.atomic_write import atomic_write
from sealer.errors import InputError
from sealer_kustomize.manifest import GENERATOR_TYPES

__all__ = ["default_plugin_home", "install", "plugin_path", "wrapper_script"]


def default_plugin_home(environ: Mapping[str, str]) -> Path:
    """Where kustomize will look: the same order as kustomize's konfig.DefaultAbsPluginHome."""
    if environ.get("KUSTOMIZE_PLUGIN_HOME"):
        return Path(environ["KUSTOMIZE_PLUGIN_HOME"])
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"]) / "kustomize" / "plugin"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".config" / "kustomize" / "plugin"


def plugin_path(plugin_home: Path, api_version: str, kind: str) -> Path:
    """kustomize's AbsolutePluginPath for a generator type."""
    group, _, version = api_version.rpartition("/")
    return plugin_home / group / version / kind.lower() / kind


def wrapper_script(python: str) -> bytes:
    """A shell wrapper that runs our entry point with ``python``, passing every argument."""
    return (
        "#!/bin/sh\n"
        "# Installed by `sealer-kustomize install`: a SOPS generator for kustomize (KSOPS-compatible).\n"
        f'exec {shlex.quote(python)} -I -m sealer_kustomize "$@"\n'
    ).encode()


def install(
    *,
    environ: Mapping[str, str],
    plugin_home: Path | None = None,
    bin_dir: Path | None = None,
    python: str | None = None,
) -> list[Path]:
    """Write the wrappers; return the paths written. Each write is atomic and mode 0755."""
    python = python or sys.executable
    if not python or not os.access(python, os.X_OK):
        raise InputError(f"cannot find an executable Python interpreter to install ({python!r})")
    home = plugin_home or default_plugin_home(environ)
    script = wrapper_script(python)
    written: list[Path] = []
    targets = [plugin_path(home, api_version, kind) for api_version, kind in sorted(GENERATOR_TYPES)]
    if bin_dir is not None:
        targets.append(bin_dir / "ksops")
    for target in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, script, mode=0o755)
        except OSError as exc:
            raise InputError(f"{target}: cannot install the plugin: {exc.strerror}") from None
        written.append(target)
    return written
