"""The library facade: what programs other than our CLI should call.

Functions take and return bytes/streams and keyword-only options, never paths
or click objects, so the controller, the Kustomize plugin and third parties can
use them. Each feature area owns one submodule:

- ``sealer.api.sealedsecrets``: seal, unseal, verify, re-encrypt (kubeseal-compatible)
- ``sealer.api.sops``: SOPS encrypt/decrypt with age
- ``sealer.api.at_rest``: Kubernetes encryption at rest (config, rewrite, etcd audit)

Names are re-exported lazily so that importing one area never loads another's
dependencies (``sealer seal`` must stay fast).
"""

from __future__ import annotations

import importlib
from typing import Any

_AREAS = ("sealer.api.sealedsecrets", "sealer.api.sops", "sealer.api.at_rest")


def __getattr__(name: str) -> Any:
    if f"{__name__}.{name}" in _AREAS:
        # ``from sealer.api import sealedsecrets`` asks for the submodule itself: load only that area.
        return importlib.import_module(f"{__name__}.{name}")
    for module_name in _AREAS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        if name in getattr(module, "__all__", ()):
            return getattr(module, name)
    raise AttributeError(f"module 'sealer.api' has no attribute {name!r}")
