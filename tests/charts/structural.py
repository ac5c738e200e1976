"""Check a CRD's openAPIV3Schema the way the API server does, without an API server.

Two jobs:

* ``structural_violations`` applies the rules apiextensions.k8s.io/v1 enforces when a CRD is
  created ("structural schema": every node has a type, junctors such as anyOf carry no type,
  properties or additionalProperties, properties and additionalProperties never together, and
  x-kubernetes-preserve-unknown-fields only on objects).
* ``validator`` turns the schema into a JSON Schema validator that behaves like the API server
  with kubectl's default ``--validate=strict``: unknown fields are errors where the schema lists
  properties (the server would prune them; strict field validation rejects them), ``nullable``
  admits null, and the formats the server checks (``byte`` = Go base64.StdEncoding, which skips
  CR/LF; ``date-time``; ``int64``) are checked.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Iterator
from typing import Any

import jsonschema

_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
_FORBIDDEN_IN_JUNCTORS = (
    "type",
    "properties",
    "additionalProperties",
    "description",
    "default",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
)


def _walk_junctor(node: Any, where: str) -> Iterator[str]:
    for part in node if isinstance(node, list) else [node]:
        for key in _FORBIDDEN_IN_JUNCTORS:
            if key in part:
                yield f"{where}: {key} is not allowed inside a junctor"
        for junctor in _JUNCTORS:
            if junctor in part:
                yield from _walk_junctor(part[junctor], f"{where}.{junctor}")


def structural_violations(node: dict[str, Any], where: str = "openAPIV3Schema") -> Iterator[str]:
    """Yield every way ``node`` breaks the structural-schema rules (nothing = structural)."""
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "type" not in node and not node.get("x-kubernetes-int-or-string") and not preserve:
        yield f"{where}: no type"
    if "properties" in node and "additionalProperties" in node:
        yield f"{where}: properties and additionalProperties together"
    if preserve and node.get("type") not in (None, "object"):
        yield f"{where}: x-kubernetes-preserve-unknown-fields on a non-object"
    if node.get("type") == "array" and "items" not in node:
        yield f"{where}: array without items"
    for junctor in _JUNCTORS:
        if junctor in node:
            yield from _walk_junctor(node[junctor], f"{where}.{junctor}")
    for name, child in node.get("properties", {}).items():
        yield from structural_violations(child, f"{where}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        yield from structural_violations(node["additionalProperties"], f"{where}[*]")
    if isinstance(node.get("items"), dict):
        yield from structural_violations(node["items"], f"{where}[]")


def to_json_schema(node: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
    """The JSON Schema equivalent of one openAPIV3Schema node (strict about unknown fields)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("description", "nullable"):
            continue
        if key == "properties":
            out[key] = {name: to_json_schema(child) for name, child in value.items()}
        elif key in ("additionalProperties", "items") and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in _JUNCTORS:
            out[key] = [to_json_schema(p) for p in value] if isinstance(value, list) else to_json_schema(value)
        else:
            out[key] = value
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    if root:
        # apiVersion/kind/metadata are checked by the server itself before the schema applies.
        out["properties"]["metadata"] = {"type": "object", "required": ["name"]}
    return out


_formats = jsonschema.FormatChecker()


@_formats.checks("byte", raises=(binascii.Error, ValueError))
def _is_go_base64(value: object) -> bool:
    if not isinstance(value, str):
        return True
    base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    return True


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@_formats.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def validator(openapi_schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    schema = to_json_schema(openapi_schema, root=True)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=_formats)
