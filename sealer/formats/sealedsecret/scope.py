"""Sealing scopes and the OAEP label each one binds a value to.

kubeseal decides the scope from annotations, checking cluster-wide first, and
only the exact string ``"true"`` counts. The strict label is
``namespace/name`` with a slash (the upstream docs say "concatenation";
the code uses a slash, and so must we).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from sealer.errors import InputError

NAMESPACE_WIDE_ANNOTATION = "sealedsecrets.bitnami.com/namespace-wide"
CLUSTER_WIDE_ANNOTATION = "sealedsecrets.bitnami.com/cluster-wide"


class Scope(StrEnum):
    STRICT = "strict"
    NAMESPACE_WIDE = "namespace-wide"
    CLUSTER_WIDE = "cluster-wide"

    @classmethod
    def parse(cls, text: str) -> Scope:
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise InputError(f"unknown scope {text!r}", hint=f"use one of: {choices}") from None


def scope_from_annotations(annotations: Mapping[str, str] | None) -> Scope:
    annotations = annotations or {}
    if annotations.get(CLUSTER_WIDE_ANNOTATION) == "true":
        return Scope.CLUSTER_WIDE
    if annotations.get(NAMESPACE_WIDE_ANNOTATION) == "true":
        return Scope.NAMESPACE_WIDE
    return Scope.STRICT


def scope_annotations(scope: Scope) -> dict[str, str]:
    """The annotations kubeseal writes on a SealedSecret to record a non-strict scope."""
    if scope is Scope.CLUSTER_WIDE:
        return {CLUSTER_WIDE_ANNOTATION: "true"}
    if scope is Scope.NAMESPACE_WIDE:
        return {NAMESPACE_WIDE_ANNOTATION: "true"}
    return {}


def encryption_label(scope: Scope, namespace: str, name: str) -> bytes:
    """The OAEP label that binds a sealed value to where it may be unsealed."""
    if scope is Scope.CLUSTER_WIDE:
        return b""
    if not namespace:
        raise InputError(
            f"{scope.value} scope needs a namespace",
            hint="set metadata.namespace, pass --namespace, or use --scope cluster-wide",
        )
    if scope is Scope.NAMESPACE_WIDE:
        return namespace.encode()
    if not name:
        raise InputError("strict scope needs a name", hint="set metadata.name or pass --name")
    return f"{namespace}/{name}".encode()
