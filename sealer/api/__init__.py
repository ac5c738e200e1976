"""The library facade: what programs other than our CLI should call.

Functions take and return bytes/streams and keyword-only options, never paths
or click objects, so the controller, the Kustomize plugin and third parties can
use them. Each feature area owns one submodule:

- ``sealer.api.sealedsecrets``: seal, unseal, verify, re-encrypt (kubeseal-compatible)
- ``sealer.api.sops``: SOPS encrypt/decrypt with age
- ``sealer.api.at_rest``: Kubernetes encryption at rest (config, rewrite, etcd audit)

Names are re-exported lazily so that importing one area never loads another's
dependencies (``sealer seal`` must stay fast). A name two areas both define
(``reencrypt``, ``rotate``) is not re-exported: ``sealer.api.rotate`` would
otherwise silently mean whichever area happens to be searched first.
"""

from __future__ import annotations

import importlib
from typing import Any

_AREAS = ("sealer.api.sealedsecrets", "sealer.api.sops", "sealer.api.at_rest")
#: names in more than one area's ``__all__`` (kept static, so resolving a name never imports every area;
#: tests/unit/test_api_facade.py checks it against the areas)
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "reencrypt": ("sealer.api.sealedsecrets", "sealer.api.sops"),
    "rotate": ("sealer.api.sealedsecrets", "sealer.api.sops"),
}


def __getattr__(name: str) -> Any:
    if f"{__name__}.{name}" in _AREAS:
        # ``from sealer.api import sealedsecrets`` asks for the submodule itself: load only that area.
        return importlib.import_module(f"{__name__}.{name}")
    if name in AMBIGUOUS:
        where = " and ".join(AMBIGUOUS[name])
        raise AttributeError(f"sealer.api.{name} is ambiguous: it is in {where}; import it from the one you mean")
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
