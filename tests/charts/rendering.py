"""Render charts/sealer with Helm's own engine (libhelm via helm-python-sdk), once per value set.

Rendering is offline and takes milliseconds, so every value set the tests care about is rendered
in one batch per session and parsed into plain dicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "sealer"
RELEASE = "sealer"

# name -> (values, release namespace). Each set turns on what one scenario needs.
VALUE_SETS: dict[str, tuple[dict[str, Any], str]] = {
    "default": ({}, "kube-system"),
    "namespace-override": ({"namespace": "sealed-secrets", "fullnameOverride": "my-sealer"}, "kube-system"),
    "release-namespace": ({"namespace": "", "fullnameOverride": ""}, "security"),
    "extras-on": (
        {
            "networkPolicy": {
                "enabled": True,
                "metricsFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
                "egress": {"enabled": True, "apiServerCidrs": ["10.0.0.1/32"], "apiServerPort": 6443},
            },
            "podDisruptionBudget": {"enabled": True},
            "metrics": {"serviceMonitor": {"enabled": True, "namespace": "monitoring", "labels": {"release": "prom"}}},
        },
        "kube-system",
    ),
    "key-schedule": (
        {"controller": {"keyRenewPeriod": "0", "keyCutoffTime": "Mon, 02 Nov 2026 15:04:05 +0000"}},
        "kube-system",
    ),
    "argocd": ({"argocd": {"enabled": True}}, "kube-system"),
    "extra-args": (
        {"controller": {"extraArgs": ["--log-level=debug"], "extraEnv": [{"name": "TZ", "value": "UTC"}]}},
        "kube-system",
    ),
    "pull-secrets": (
        {
            "imagePullSecrets": ["regcred", {"name": "mirror-cred"}],
            "image": {"repository": "registry.example.com/sealer/controller", "digest": "sha256:" + "ab" * 32},
        },
        "kube-system",
    ),
    "watch-namespaces": ({"controller": {"watchNamespaces": ["team-a", "team-b"]}}, "kube-system"),
}


@dataclasses.dataclass
class Rendered:
    """One render: the raw manifests by template path, and every object they hold."""

    manifests: dict[str, str]
    objects: list[dict[str, Any]]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind: str, name: str | None = None) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
        return found[0]

    def notes(self) -> str:
        return next((text for path, text in self.manifests.items() if path.endswith("NOTES.txt")), "")


def parse_objects(manifests: dict[str, str]) -> Iterator[dict[str, Any]]:
    for path, text in sorted(manifests.items()):
        if path.endswith(".txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is not None:
                assert isinstance(doc, dict), f"{path}: a document that is not a mapping"
                yield doc


def render(chart: helm.Chart, values: dict[str, Any], namespace: str) -> Rendered:
    manifests = chart.render(values, name=RELEASE, namespace=namespace, is_install=True)
    return Rendered(manifests, list(parse_objects(manifests)))


def render_all() -> dict[str, Rendered]:
    with helm.Chart.load(CHART_DIR) as chart:
        return {name: render(chart, values, ns) for name, (values, ns) in VALUE_SETS.items()}


def load_crd() -> dict[str, Any]:
    with helm.Chart.load(CHART_DIR) as chart:
        crds = chart.crds
    assert len(crds) == 1, [c["filename"] for c in crds]
    doc = yaml.safe_load(crds[0]["data"])
    assert isinstance(doc, dict)
    return doc
