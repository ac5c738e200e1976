"""Argo CD Config Management Plugin commands: ``argocd-generate`` and ``argocd-discover``.

Argo CD's CMP server runs ``generate`` in the Application's source directory
with the build environment (``ARGOCD_APP_NAME``, ``ARGOCD_APP_NAMESPACE``,
``ARGOCD_APP_SOURCE_PATH``, ``ARGOCD_APP_REVISION``, ``KUBE_VERSION``,
``KUBE_API_VERSIONS``...), the Application's ``plugin.env`` entries prefixed
``ARGOCD_ENV_``, and its ``plugin.parameters`` as JSON in
``ARGOCD_APP_PARAMETERS``. Standard output must be only manifests; stderr is
shown in the UI.

``argocd-generate`` runs ``kustomize build --enable-alpha-plugins`` (or
``kubectl kustomize``) with our legacy exec plugins installed in a private
plugin home made for this run, so the sidecar image needs no install step:

- the plugin may read files only inside the repository checkout (the source
  directory less ``ARGOCD_APP_SOURCE_PATH``), so an Application cannot decrypt
  files of another one by ``../`` or symlinks;
- users (who control ``ARGOCD_ENV_*`` and parameters) may add only harmless
  build options: ``--load-restrictor``, ``--enable-helm`` and Helm's version
  flags; ``--enable-exec`` (which lets a repository run any program in the
  sidecar, next to the age key) only when the *operator* sets
  ``SEALER_KUSTOMIZE_ENABLE_EXEC=true`` on the sidecar, and only with the
  standalone kustomize, as ``kubectl kustomize`` has no such flag;
- with ``--enable-helm``, ``KUBE_VERSION``/``KUBE_API_VERSIONS`` are passed on
  as ``--helm-kube-version``/``--helm-api-versions``, as Argo CD does for Helm;
- kustomize's output is written only once the build succeeded: a failed build
  prints nothing on stdout. Errors are one line, prefixed with the app name.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sealer.errors import InputError, KeyNotFoundError, SealerError
from sealer_kustomize.decrypting import ROOT_ENV
from sealer_kustomize.failures import with_context
from sealer_kustomize.install import install
from sealer_kustomize.manifest import is_generator
from sealer_kustomize.preflight import exec_function_generators, generator_manifests

__all__ = ["AppContext", "build_command", "discover", "generate", "user_build_options"]

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
ENABLE_EXEC_ENV = "SEALER_KUSTOMIZE_ENABLE_EXEC"
KUSTOMIZE_BIN_ENV = "SEALER_KUSTOMIZE_BIN"
BUILD_OPTIONS_ENV = "ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS"
BUILD_OPTIONS_PARAMETER = "kustomize-build-options"
# flag -> allowed values (None: any value; empty tuple: a switch without a value)
_ALLOWED_FLAGS: dict[str, tuple[str, ...] | None] = {
    "--load-restrictor": ("LoadRestrictionsRootOnly", "LoadRestrictionsNone"),
    "--enable-helm": (),
    "--helm-kube-version": None,
    "--helm-api-versions": None,
}

Runner = Callable[..., "subprocess.CompletedProcess[bytes]"]


class BuildFailedError(SealerError):
    """kustomize exited non-zero; its condensed stderr is the message."""


@dataclass(frozen=True)
class AppContext:
    """What Argo CD tells the plugin about the Application being rendered."""

    name: str
    namespace: str
    source_path: str
    revision: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> AppContext:
        return cls(
            name=environ.get("ARGOCD_APP_NAME", ""),
            namespace=environ.get("ARGOCD_APP_NAMESPACE", ""),
            source_path=environ.get("ARGOCD_APP_SOURCE_PATH", ""),
            revision=environ.get("ARGOCD_APP_REVISION_SHORT") or environ.get("ARGOCD_APP_REVISION", ""),
        )

    @property
    def label(self) -> str:
        """``app guestbook (apps/guestbook@f913b6c)`` for messages shown in the Argo CD UI."""
        where = self.source_path or "."
        if self.revision:
            where += f"@{self.revision}"
        return f"app {self.name or '<unnamed>'} ({where})"

    def repository_root(self, source_dir: Path) -> Path:
        """The checkout root: ``source_dir`` less the trailing ``ARGOCD_APP_SOURCE_PATH``."""
        parts = [p for p in Path(self.source_path).parts if p not in ("", ".")]
        if parts and "/" not in parts and ".." not in parts:
            tail = tuple(source_dir.parts[-len(parts) :])
            if tail == tuple(parts) and len(source_dir.parts) > len(parts):
                return source_dir.parents[len(parts) - 1]
        return source_dir


def _parameters(environ: Mapping[str, str]) -> list[dict[str, Any]]:
    raw = environ.get("ARGOCD_APP_PARAMETERS", "")
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise InputError("ARGOCD_APP_PARAMETERS is not valid JSON") from None
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise InputError("ARGOCD_APP_PARAMETERS must be a JSON list of parameters")
    return value


def user_build_options(environ: Mapping[str, str]) -> list[str]:
    """Build options the Application asked for, checked against the allowed flags."""
    tokens: list[str] = []
    if environ.get(BUILD_OPTIONS_ENV):
        try:
            tokens += shlex.split(environ[BUILD_OPTIONS_ENV])
        except ValueError:
            raise InputError(f"{BUILD_OPTIONS_ENV}: unbalanced quotes") from None
    for parameter in _parameters(environ):
        if parameter.get("name") != BUILD_OPTIONS_PARAMETER:
            continue
        values = parameter.get("array")
        if values is None and isinstance(parameter.get("string"), str):
            values = shlex.split(parameter["string"])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InputError(f"parameter {BUILD_OPTIONS_PARAMETER} must be an array of strings")
        tokens += values
    options: list[str] = []
    index = 0
    while index < len(tokens):
        flag, has_value, value = tokens[index].partition("=")
        if flag not in _ALLOWED_FLAGS:
            raise InputError(
                f"kustomize build option {flag!r} is not allowed from an Application",
                hint=f"allowed: {', '.join(sorted(_ALLOWED_FLAGS))}",
            )
        allowed = _ALLOWED_FLAGS[flag]
        if allowed == ():
            if has_value:
                raise InputError(f"kustomize build option {flag} takes no value")
            options.append(flag)
            index += 1
            continue
        if not has_value:
            if index + 1 >= len(tokens):
                raise InputError(f"kustomize build option {flag} needs a value")
            value = tokens[index + 1]
            index += 1
        if allowed is not None and value not in allowed:
            raise InputError(f"kustomize build option {flag}={value!r} is not allowed", hint=f"use one of {allowed}")
        options.append(f"{flag}={value}")
        index += 1
    return options


def build_command(environ: Mapping[str, str], *, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The kustomize invocation, without the directory argument."""
    chosen = environ.get(KUSTOMIZE_BIN_ENV) or which("kustomize") or which("kubectl")
    if not chosen:
        raise KeyNotFoundError(
            "neither kustomize nor kubectl is on PATH",
            hint=f"install one in the sidecar image or set {KUSTOMIZE_BIN_ENV}",
        )
    if Path(chosen).name.startswith("kubectl"):
        command = [chosen, "kustomize", "--enable-alpha-plugins"]
        standalone = False
    else:
        command = [chosen, "build", "--enable-alpha-plugins"]
        standalone = True
    if environ.get(ENABLE_EXEC_ENV, "").lower() in ("1", "true", "yes"):
        if not standalone:
            raise InputError(
                f"{ENABLE_EXEC_ENV} is set but {chosen} is kubectl, whose kustomize cannot run exec functions",
                hint=f"put the standalone kustomize in the image or point {KUSTOMIZE_BIN_ENV} at it",
            )
        command.append("--enable-exec")
    options = user_build_options(environ)
    if "--enable-helm" in options:
        flags = {option.partition("=")[0] for option in options}
        if environ.get("KUBE_VERSION") and "--helm-kube-version" not in flags:
            options.append(f"--helm-kube-version={environ['KUBE_VERSION']}")
        if environ.get("KUBE_API_VERSIONS") and "--helm-api-versions" not in flags:
            options.append(f"--helm-api-versions={environ['KUBE_API_VERSIONS']}")
    return command + options


def _refuse_skipped_generators(source_dir: Path, repository_root: Path, *, kubectl: bool) -> None:
    """kustomize silently skips exec-function generators without --enable-exec: fail instead."""
    skipped = exec_function_generators(source_dir)
    if not skipped:
        return
    first = skipped[0]
    try:
        shown = first.relative_to(repository_root).as_posix()
    except ValueError:
        shown = str(first)
    more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
    why = (
        "kubectl kustomize cannot run exec functions"
        if kubectl
        else f"exec functions are off ({ENABLE_EXEC_ENV} is not set on the sidecar)"
    )
    raise InputError(
        f"{shown}{more}: the generator declares a config.kubernetes.io/function exec annotation and {why}, "
        "so kustomize would silently generate nothing from it",
        hint="remove the annotation (the manifest then runs as a legacy exec plugin), "
        f"or use the standalone kustomize with {ENABLE_EXEC_ENV}=true",
    )


def _condensed(stderr: bytes, limit: int = 2000) -> str:
    text = " ".join(stderr.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def generate(
    *,
    source_dir: Path,
    environ: Mapping[str, str],
    run: Runner = subprocess.run,
    python: str | None = None,
) -> tuple[bytes, bytes]:
    """Build the Application in ``source_dir``; return (manifests, kustomize's stderr)."""
    app = AppContext.from_environment(environ)
    try:
        if not any((source_dir / name).is_file() for name in KUSTOMIZATION_FILES):
            raise InputError(
                f"no kustomization.yaml in {app.source_path or source_dir}",
                hint="point the Application's source path at a kustomization directory",
            )
        key_file = environ.get("SOPS_AGE_KEY_FILE")
        if key_file and not Path(key_file).is_file():
            raise KeyNotFoundError(
                f"SOPS_AGE_KEY_FILE={key_file} does not exist",
                hint="mount the age key Secret into the sidecar at that path",
            )
        command = build_command(environ)
        repository_root = app.repository_root(source_dir.resolve())
        if "--enable-exec" not in command:
            _refuse_skipped_generators(source_dir, repository_root, kubectl="build" not in command[1:2])
        child_env = dict(environ)
        child_env.setdefault(ROOT_ENV, str(repository_root))
        plugin_home = Path(tempfile.mkdtemp(prefix="sealer-kustomize-plugins-"))
        try:
            install(environ=child_env, plugin_home=plugin_home, python=python or sys.executable)
            child_env["KUSTOMIZE_PLUGIN_HOME"] = str(plugin_home)
            completed = run([*command, "."], cwd=source_dir, env=child_env, capture_output=True, check=False)
        finally:
            shutil.rmtree(plugin_home, ignore_errors=True)
        if completed.returncode != 0:
            raise BuildFailedError(
                f"kustomize build failed (exit {completed.returncode}): {_condensed(completed.stderr)}"
            )
        return completed.stdout, completed.stderr
    except SealerError as exc:
        raise with_context(exc, app.label) from None


def discover(source_dir: Path) -> str | None:
    """A generator manifest the kustomization in ``source_dir`` uses (relative path), for CMP discovery.

    Argo CD runs discovery in the Application's source directory with the whole
    repository unpacked around it, so generators reached through ``../base``
    count; generator files that no kustomization uses do not.
    """
    for path, doc in generator_manifests(source_dir):
        if is_generator(doc):
            return os.path.relpath(path, source_dir.resolve())
    return None
