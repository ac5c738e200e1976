"""The legacy exec plugin: ``<plugin> <config-file>`` prints the generated resources.

kustomize (with ``--enable-alpha-plugins``) runs the executable at
``$KUSTOMIZE_PLUGIN_HOME/<group>/<version>/<lowercase kind>/<Kind>`` with the
generator manifest written to a temporary file as its first argument, the
kustomization root as its working directory, and
``KUSTOMIZE_PLUGIN_CONFIG_ROOT`` set to that root. Whatever the plugin prints
on stdout is the generated YAML stream.

The temporary file's name means nothing to a user, so messages name the
generator and the kustomization root instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sealer.errors import InputError, SealerError
from sealer_kustomize.decrypting import Decryptor
from sealer_kustomize.failures import with_context
from sealer_kustomize.generate import run_generator
from sealer_kustomize.manifest import parse_generator
from sealer_kustomize.yamlio import load_all

__all__ = ["describe_config", "run_legacy"]

_KUSTOMIZE_TMP_PREFIX = "kust-plugin-config-"


def _kustomization_root(config_path: str, environ: Mapping[str, str]) -> str | None:
    """The kustomization that asked, when ``config_path`` is kustomize's temporary copy."""
    if Path(config_path).name.startswith(_KUSTOMIZE_TMP_PREFIX):
        return environ.get("KUSTOMIZE_PLUGIN_CONFIG_ROOT") or os.getcwd()
    return None


def describe_config(config_path: str, environ: Mapping[str, str]) -> str:
    """How messages name the generator's file: kustomize's temp copy is named by its kustomization."""
    root = _kustomization_root(config_path, environ)
    return f"generator in kustomization {root}" if root else config_path


def run_legacy(config_path: str, *, environ: Mapping[str, str], decryptor: Decryptor | None = None) -> str:
    """Generate from the manifest at ``config_path``; return the YAML stream to print."""
    source = describe_config(config_path, environ)
    try:
        raw = Path(config_path).read_bytes()
    except OSError as exc:
        raise InputError(f"{source}: cannot read the generator manifest: {exc.strerror}") from None
    documents = [doc for doc in load_all(raw, source=source, secret=False) if doc is not None]
    if len(documents) != 1:
        raise InputError(f"{source}: expected one generator manifest, found {len(documents)} documents")
    generator = parse_generator(documents[0], source=source)
    decryptor = decryptor or Decryptor.from_environment(environ)
    root = _kustomization_root(config_path, environ)
    context = f"{generator.label} in kustomization {root}" if root else f"{source} ({generator.label})"
    try:
        return run_generator(generator, decryptor).stream()
    except SealerError as exc:
        raise with_context(exc, context) from None
