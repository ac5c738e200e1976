"""The KRM exec function: a ResourceList on stdin, the same list plus our output on stdout.

Per the KRM Functions Specification (kustomize's ``config.kubernetes.io/function``
with ``exec.path``, and ``kpt fn eval --exec``):

- input is a ``config.kubernetes.io/v1`` ``ResourceList`` with ``items`` and an
  optional ``functionConfig``;
- the generator is the ``functionConfig``; like KSOPS we also run generator
  manifests found among the ``items`` (kustomize passes the generator as an item
  marked ``config.kubernetes.io/local-config``; kpt passes the package's files),
  each identity once;
- output keeps every input item as it came (kustomize drops local-config items;
  kpt writes items back to files, so nothing may vanish) and adds the generated
  objects, replacing an item of the same apiVersion/kind/namespace/name so a
  second run does not duplicate;
- ``results`` says what happened: ``info`` per generator on success; on failure
  one ``error`` naming the generator and file, the items left unchanged, and a
  non-zero exit status.

Relative paths resolve against the working directory, as in KSOPS: kustomize
runs exec functions in the kustomization root; run kpt from the package root.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from sealer.errors import ExitCode, FormatError, SealerError
from sealer_kustomize.decrypting import Decryptor
from sealer_kustomize.failures import one_line, with_context
from sealer_kustomize.generate import run_generator
from sealer_kustomize.manifest import generator_identity, is_generator, parse_generator
from sealer_kustomize.yamlio import load_all, yaml_instance

__all__ = ["RESOURCE_LIST_VERSIONS", "KrmOutcome", "run_krm"]

RESOURCE_LIST_VERSIONS = ("config.kubernetes.io/v1", "config.kubernetes.io/v1alpha1")
_STDIN = "ResourceList on stdin"
_PATH_ANNOTATIONS = ("config.kubernetes.io/path", "internal.config.kubernetes.io/path")


@dataclass(frozen=True)
class KrmOutcome:
    """The ResourceList to print, the exit status, and the one-line error for stderr (if any)."""

    output: str
    exit_code: int
    error: str | None = None


def _annotation_path(obj: Mapping[str, Any]) -> str | None:
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if isinstance(annotations, Mapping):
        for key in _PATH_ANNOTATIONS:
            value = annotations.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _resource_ref(obj: Mapping[str, Any]) -> dict[str, str]:
    api_version, kind, namespace, name = generator_identity(obj)
    ref = {"apiVersion": api_version, "kind": kind, "name": name}
    if namespace:
        ref["namespace"] = namespace
    return ref


def _dump(resource_list: Any) -> str:
    stream = io.StringIO()
    yaml_instance().dump(resource_list, stream)
    return stream.getvalue()


def _bare_list(message: str) -> dict[str, Any]:
    return {
        "apiVersion": RESOURCE_LIST_VERSIONS[0],
        "kind": "ResourceList",
        "items": [],
        "results": [{"message": message, "severity": "error"}],
    }


def _parse(data: bytes) -> tuple[MutableMapping[str, Any], list[Any]]:
    """The ResourceList and its items list, or a FormatError."""
    documents = [doc for doc in load_all(data, source=_STDIN, secret=True) if doc is not None]
    if len(documents) != 1 or not isinstance(documents[0], MutableMapping):
        raise FormatError(f"{_STDIN}: expected one ResourceList document, found {len(documents)}")
    resource_list = documents[0]
    if resource_list.get("kind") != "ResourceList" or resource_list.get("apiVersion") not in RESOURCE_LIST_VERSIONS:
        raise FormatError(
            f"{_STDIN}: not a ResourceList (apiVersion {resource_list.get('apiVersion')!r}, "
            f"kind {resource_list.get('kind')!r})",
            hint="a KRM function reads a config.kubernetes.io/v1 ResourceList; "
            "for a generator manifest use: sealer-kustomize legacy FILE",
        )
    items = resource_list.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise FormatError(f"{_STDIN}: 'items' must be a list")
    return resource_list, items


def run_krm(data: bytes, *, environ: Mapping[str, str], decryptor: Decryptor | None = None) -> KrmOutcome:
    """Answer one ResourceList (``data``); never raises for our own errors."""
    try:
        resource_list, items = _parse(data)
    except SealerError as exc:
        return KrmOutcome(_dump(_bare_list(one_line(exc))), int(exc.exit_code), one_line(exc))

    candidates: list[tuple[Any, str]] = []
    seen: set[tuple[str, str, str, str]] = set()
    function_config = resource_list.get("functionConfig")
    if is_generator(function_config):
        candidates.append((function_config, "functionConfig"))
        seen.add(generator_identity(function_config))
    for index, item in enumerate(items):
        if is_generator(item) and generator_identity(item) not in seen:
            seen.add(generator_identity(item))
            candidates.append((item, _annotation_path(item) or f"items[{index}]"))

    results: list[dict[str, Any]] = []
    generated: list[Any] = []
    current: Mapping[str, Any] | None = None
    try:
        if not candidates and function_config is not None:
            # Not a generator: parsing it says what it should have been.
            parse_generator(function_config, source="functionConfig")
        if not candidates:
            raise FormatError(
                f"{_STDIN}: no generator in functionConfig or items",
                hint="give a viaduct.ai/v1 ksops or sealer.dev/v1 SopsGenerator manifest as the functionConfig",
            )
        decryptor = decryptor or Decryptor.from_environment(environ)
        for obj, source in candidates:
            current = obj
            generator = parse_generator(obj, source=source)
            try:
                objects = run_generator(generator, decryptor).objects()
            except SealerError as exc:
                raise with_context(exc, generator.label) from None
            generated.extend(objects)
            results.append(
                {
                    "message": f"generated {len(objects)} resource(s) from {generator.label}",
                    "severity": "info",
                    "resourceRef": _resource_ref(obj),
                }
            )
    except SealerError as exc:
        failure: dict[str, Any] = {"message": one_line(exc), "severity": "error"}
        if isinstance(current, Mapping):
            failure["resourceRef"] = _resource_ref(current)
            path = _annotation_path(current)
            if path:
                failure["file"] = {"path": path}
        resource_list["results"] = [failure]
        return KrmOutcome(_dump(resource_list), int(exc.exit_code), one_line(exc))

    positions = {generator_identity(item): i for i, item in enumerate(items) if isinstance(item, Mapping)}
    for obj in generated:
        position = positions.get(generator_identity(obj))
        if position is not None and not is_generator(items[position]):
            items[position] = obj
        else:
            positions[generator_identity(obj)] = len(items)
            items.append(obj)
    resource_list["items"] = items
    resource_list["results"] = results
    return KrmOutcome(_dump(resource_list), int(ExitCode.OK))
