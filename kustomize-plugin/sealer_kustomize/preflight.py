"""Before a build: which generator manifests a kustomization uses, and which kustomize would skip.

A KSOPS v4 generator manifest usually carries
``config.kubernetes.io/function: {exec: {path: ksops}}``. kustomize then treats
it as a KRM exec function, and without ``--enable-exec`` (which ``kubectl
kustomize`` does not even have) it *skips it without a word*: the build
succeeds with no Secrets, and Argo CD would prune the live ones. So before
building without exec we walk the kustomization tree (``resources``, ``bases``,
``components``, ``generators``; local paths only) and refuse such manifests.

The same walk answers Argo CD's discovery: an overlay whose generator lives in
``../base`` uses this plugin although no generator file is below it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["FUNCTION_ANNOTATIONS", "exec_function_generators", "generator_manifests"]

FUNCTION_ANNOTATIONS = ("config.kubernetes.io/function", "config.k8s.io/function")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_MAX_DIRECTORIES = 2000


def _load(path: Path) -> list[Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return [doc for doc in YAML(typ="safe").load_all(path.read_bytes()) if doc is not None]
    except (OSError, YAMLError, UnicodeDecodeError):
        return []  # kustomize will report it, with its own message


def _kustomization(directory: Path) -> Mapping[str, Any] | None:
    for name in KUSTOMIZATION_FILES:
        path = directory / name
        if path.is_file():
            docs = _load(path)
            return docs[0] if docs and isinstance(docs[0], Mapping) else {}
    return None


def _local_entries(kustomization: Mapping[str, Any], field: str) -> list[str]:
    value = kustomization.get(field)
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, str) and "://" not in e and not e.startswith(("git@", "github.com/"))]


def _exec_spec(doc: Mapping[str, Any]) -> bool:
    meta = doc.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(annotations, Mapping):
        return False
    for key in FUNCTION_ANNOTATIONS:
        spec = annotations.get(key)
        if isinstance(spec, str) and "exec" in spec:
            return True
    return False


def generator_manifests(source_dir: Path) -> list[tuple[Path, Mapping[str, Any]]]:
    """Every document of every generator config file the kustomization at ``source_dir`` reaches."""
    found: list[tuple[Path, Mapping[str, Any]]] = []
    seen: set[Path] = set()
    files: set[Path] = set()
    pending: list[tuple[Path, bool]] = [(source_dir.resolve(), False)]
    while pending and len(seen) < _MAX_DIRECTORIES:
        directory, resources_are_generators = pending.pop()
        if directory in seen:
            continue
        seen.add(directory)
        kustomization = _kustomization(directory)
        if kustomization is None:
            continue
        for field in ("resources", "bases", "components", "generators"):
            as_generators = field == "generators" or (resources_are_generators and field == "resources")
            for entry in _local_entries(kustomization, field):
                target = (directory / entry).resolve()
                if target.is_dir():
                    pending.append((target, as_generators))
                elif as_generators and target.is_file() and target not in files:
                    files.add(target)
                    found.extend((target, doc) for doc in _load(target) if isinstance(doc, Mapping))
    return sorted(found, key=lambda pair: str(pair[0]))


def exec_function_generators(source_dir: Path) -> list[Path]:
    """Generator manifests reachable from ``source_dir`` that declare an exec KRM function."""
    return sorted({path for path, doc in generator_manifests(source_dir) if _exec_spec(doc)})
