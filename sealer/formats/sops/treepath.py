"""sops tree paths (``["data"]["password"]``, ``[0]``) and the set/unset edits they address.

Ported from sops' ``parseTreePath`` and ``TreeBranch.Set``/``Unset`` so that
``sealer sops set`` creates missing mappings and appends to lists exactly as
``sops set`` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from sealer.errors import FormatError
from sealer.formats.sops.tree import Branch, Comment, TreeItem, Value

__all__ = ["parse_json_value", "parse_tree_path", "same_value", "set_in", "unset_in"]

Path = Sequence[str | int]


def parse_tree_path(text: str) -> list[str | int]:
    """``'["a"][0]'`` → ``["a", 0]``; quoted components are keys, bare ones indices."""
    path: list[str | int] = []
    for component in text.split("["):
        if not component:
            continue
        if not component.endswith("]"):
            raise FormatError(f"invalid tree path: component {component!r} doesn't end with ]")
        component = component[:-1]
        if component[:1] in ('"', "'"):
            path.append(component[1:-1])
        else:
            try:
                path.append(int(component))
            except ValueError:
                raise FormatError(f"invalid tree path: {component!r} is neither a quoted key nor an index") from None
    return path


def parse_json_value(text: str) -> Value:
    """A ``sops set`` value: JSON; numbers become floats, objects ordered branches (as in sops)."""
    try:
        value = json.loads(
            text,
            object_pairs_hook=lambda pairs: Branch(TreeItem(k, v) for k, v in pairs),
            parse_int=float,
        )
    except ValueError:
        raise FormatError("the value to set is not valid JSON") from None
    if isinstance(value, list) and not isinstance(value, Branch):
        raise FormatError("invalid value to set: a JSON array cannot be set (sops accepts objects and scalars)")
    return value  # type: ignore[no-any-return]


def same_value(a: Value, b: Value) -> bool:
    """Tree equality as sops' ``equals`` (ordered keys, comments included; ``True`` is not ``1``)."""
    if isinstance(a, Branch) or isinstance(b, Branch):
        return (
            isinstance(a, Branch)
            and isinstance(b, Branch)
            and len(a) == len(b)
            and all(x.key == y.key and same_value(x.value, y.value) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, list) or isinstance(b, list):
        return (
            isinstance(a, list)
            and isinstance(b, list)
            and len(a) == len(b)
            and all(same_value(x, y) for x, y in zip(cast("list[Value]", a), cast("list[Value]", b), strict=True))
        )
    return type(a) is type(b) and a == b


def _from_path(path: Path, leaf: Value) -> Value:
    first = path[0]
    inner = leaf if len(path) == 1 else _from_path(path[1:], leaf)
    if isinstance(first, int):
        return [inner]
    return Branch([TreeItem(first, inner)])


def _set(node: Value, path: Path, value: Value) -> Value:
    first = path[0]
    if isinstance(node, Branch):
        for item in node:
            if not isinstance(item.key, Comment) and item.key == first:
                item.value = value if len(path) == 1 else _set(item.value, path[1:], value)
                return node
        created = _from_path(path, value)
        if isinstance(created, Branch) and created:
            node.append(created[0])
        return node
    if isinstance(node, list):
        seq = cast("list[Value]", node)
        if not isinstance(first, int):
            return _from_path(path, value)
        if len(path) == 1:
            if first >= len(seq):
                seq.append(value)
            else:
                seq[first] = value
        elif first >= len(seq):
            seq.append(_from_path(path[1:], value))
        else:
            seq[first] = _set(seq[first], path[1:], value)
        return seq
    return _from_path(path, value)


def set_in(branch: Branch, path: Path, value: Value) -> Branch:
    if not path:
        raise FormatError("invalid tree path: it is empty")
    result = _set(branch, path, value)
    if not isinstance(result, Branch):
        raise FormatError("invalid tree path: the document root must stay a mapping")
    return result


def _unset(node: Value, path: Path) -> Value:
    first = path[0]
    if isinstance(node, Branch):
        for index, item in enumerate(node):
            if not isinstance(item.key, Comment) and item.key == first:
                if len(path) == 1:
                    del node[index]
                else:
                    item.value = _unset(item.value, path[1:])
                return node
        raise FormatError(f"key not found: {first}")
    if isinstance(node, list):
        seq = cast("list[Value]", node)
        if not isinstance(first, int) or first >= len(seq):
            raise FormatError(f"index {first} out of bounds")
        if len(path) == 1:
            del seq[first]
        else:
            seq[first] = _unset(seq[first], path[1:])
        return seq
    raise FormatError(f"unsupported type {type(node).__name__} for item {first!r}")


def unset_in(branch: Branch, path: Path) -> Branch:
    if not path:
        raise FormatError("invalid tree path: it is empty")
    result = _unset(branch, path)
    assert isinstance(result, Branch)
    return result
