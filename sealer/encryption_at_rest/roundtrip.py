"""Write a changed EncryptionConfiguration back into the user's own document, comments and layout kept.

Users annotate this file (which key is which, runbook notes), so rewriting it
in place from the model alone — what :func:`~.config.dumps` does — would throw
those notes away and reorder their keys. Here the model still decides *what*
the new configuration is; only the rendering changes: the original text is
loaded in ruamel's round-trip mode and the model's provider and key lists are
applied onto it. Provider elements and keys that survive keep their nodes (and
so their comments, key order and quoting), new ones are inserted where the
model puts them, removed ones go with their comments.

ruamel attaches a full-line comment to the node *before* it (the previous
item's last scalar), so moving an item would leave its comment behind with its
old neighbour. Before a list is rebuilt, each item's leading comment lines are
therefore detached from wherever ruamel put them, and put back in front of the
same item afterwards.

Whatever this produces is parsed again with :func:`~.config.loads` and must
equal the model; if not (a document shape or a ruamel quirk we did not
foresee), the file is written from the model alone, as before, with a warning.
JSON and flow-style files are written from the model alone as well, silently:
they carry no comments, and that is what they always produced.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.tokens import CommentToken

from sealer import yaml_layout
from sealer.encryption_at_rest.config import (
    KEYED_PROVIDERS,
    EncryptionConfiguration,
    Key,
    Provider,
    dumps,
    loads,
    to_document,
)
from sealer.errors import FormatError

__all__ = ["dumps_into"]

NOT_KEPT = ("could not keep the file's comments and layout; it was rewritten from the new configuration alone "
            "(same content)")

_Slot = tuple[dict[Any, Any], Any, int]  # a node's ca.items, the key or index, the position of its trailing comment


class _Unkept(Exception):
    """The document has a shape this module does not rewrite; fall back to the model's own rendering."""


def dumps_into(original: bytes, config: EncryptionConfiguration) -> tuple[bytes, str | None]:
    """``config`` rendered into the document ``original`` was read from, and a warning if its layout was lost.

    ``original`` must be what ``config`` was derived from (it parsed with
    :func:`~.config.loads`). The result always parses to ``config``.
    """
    try:
        rendered = _render(original, config)
    except (_Unkept, YAMLError, FormatError):
        return dumps(config), NOT_KEPT
    if rendered is None:
        return dumps(config), None
    try:
        same = loads(rendered) == config
    except FormatError:
        same = False
    return (rendered, None) if same else (dumps(config), NOT_KEPT)


def _render(original: bytes, config: EncryptionConfiguration) -> bytes | None:
    before = loads(original)
    try:
        text = original.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Unkept from None  # UTF-16 and the like: loads() read it, we do not rewrite it in kind
    yaml = YAML(typ="rt", pure=True)
    yaml.preserve_quotes = True
    yaml.allow_duplicate_keys = False
    documents = [d for d in yaml.load_all(text) if d is not None]
    if len(documents) != 1 or not isinstance(documents[0], CommentedMap):
        raise _Unkept
    document = documents[0]
    if document.fa.flow_style():
        return None  # JSON (or a flow-style YAML mapping): no comments to keep
    mapping, sequence, offset = _indentation(document, text.splitlines())  # before new nodes, without positions
    _apply(document, before, config)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.width = 4096  # never fold a long value the user wrote on one line
    head, explicit = yaml_layout.split_head(text)  # ruamel drops a header above "---", and writes "\n"
    yaml.explicit_start = explicit
    stream = io.StringIO()
    yaml.dump(document, stream)
    out = yaml_layout.with_head(stream.getvalue(), head)
    if yaml_layout.uses_crlf(text):
        out = yaml_layout.to_crlf(out)
    return out.encode()


def _indentation(document: CommentedMap, lines: list[str]) -> tuple[int, int, int]:
    """ruamel's ``indent(mapping, sequence, offset)`` as the user's file uses them, from the first provider list.

    ruamel applies one style to the whole output; a file mixing styles keeps
    its content and comments but gets the style of its first provider list.
    """
    try:
        return _measure(document, lines) or (2, 2, 0)
    except (KeyError, TypeError, IndexError, AttributeError):  # positions missing: ruamel's defaults
        return 2, 2, 0


def _measure(document: CommentedMap, lines: list[str]) -> tuple[int, int, int] | None:
    for entry in document.get("resources") or ():
        providers = entry.get("providers") if isinstance(entry, CommentedMap) else None
        if not isinstance(providers, CommentedSeq) or not providers or providers.fa.flow_style():
            continue
        key_column = entry.lc.data["providers"][1]
        line, item_column = providers.lc.data[0]
        dash = lines[line].rfind("-", 0, item_column)
        sequence, offset = item_column - key_column, dash - key_column
        mapping = 2
        for element in providers:
            bodies = [(kind, body) for kind, body in element.items() if _is_block(body)] \
                if isinstance(element, CommentedMap) else []
            if bodies:
                kind, body = bodies[0]
                mapping = body.lc.data[next(iter(body))][1] - element.lc.data[kind][1]
                break
        if mapping < 1 or dash < 0 or offset < 0 or sequence < offset + 2:
            return None
        return mapping, sequence, offset
    return None


# -- applying the model onto the document ----------------------------------------------


def _apply(document: CommentedMap, before: EncryptionConfiguration, after: EncryptionConfiguration) -> None:
    target = to_document(after)
    entries = document.get("resources")
    if not isinstance(entries, CommentedSeq) or len(entries) != len(after.resources):
        raise _Unkept  # lifecycle never adds or removes entries
    # A YAML alias (``providers: *shared``, ``keys: *k``) makes several entries one node: it is rewritten
    # once, and any later entry must want the very same list from it (else no layout can hold both).
    rewritten: dict[int, Any] = {}
    for node, old_entry, new_entry, target_entry in zip(entries, before.resources, after.resources,
                                                        target["resources"], strict=True):
        if not isinstance(node, CommentedMap) or not isinstance(node.get("providers"), CommentedSeq):
            raise _Unkept
        if old_entry.resources != new_entry.resources:
            node["resources"] = _fresh(target_entry["resources"])
        if _seen(rewritten, node["providers"], new_entry.providers):
            continue
        old_nodes = list(node["providers"])
        pairs = _pair(old_entry.providers, new_entry.providers, _same_provider)
        leads, tail = _detach(node, "providers")
        chosen: list[tuple[Any, int | None]] = []
        for provider, index, fresh in zip(new_entry.providers, pairs, target_entry["providers"], strict=True):
            if index is None:
                chosen.append((_fresh(fresh), None))
                continue
            if provider.kind in KEYED_PROVIDERS:
                _apply_keys(old_nodes[index], old_entry.providers[index], provider, rewritten)
            chosen.append((old_nodes[index], index))
        _rebuild(node, "providers", chosen, leads, tail)


def _apply_keys(element: Any, before: Provider, after: Provider, rewritten: dict[int, Any]) -> None:
    body = element.get(after.kind) if isinstance(element, CommentedMap) else None
    if not isinstance(body, CommentedMap) or not isinstance(body.get("keys"), CommentedSeq):
        raise _Unkept
    if _seen(rewritten, body["keys"], after.keys):
        return
    old_nodes = list(body["keys"])
    pairs = _pair(before.keys, after.keys, _same_key)
    leads, tail = _detach(body, "keys")
    chosen: list[tuple[Any, int | None]] = [
        (old_nodes[i], i) if i is not None else (_fresh({"name": k.name, "secret": k.secret}), None)
        for k, i in zip(after.keys, pairs, strict=True)
    ]
    _rebuild(body, "keys", chosen, leads, tail)


def _seen(rewritten: dict[int, Any], sequence: CommentedSeq, wanted: Sequence[Any]) -> bool:
    """True if ``sequence`` (aliased) was already rewritten to ``wanted``; :class:`_Unkept` if to something else."""
    done = rewritten.get(id(sequence))  # the node stays in the document, so its id is not reused meanwhile
    if done is None:
        rewritten[id(sequence)] = list(wanted)
        return False
    if done != list(wanted):
        raise _Unkept
    return True


def _same_key(old: Key, new: Key) -> bool:
    return (old.name, old.secret) == (new.name, new.secret)


def _same_provider(old: Provider, new: Provider) -> bool:
    """The same element, possibly with keys added, removed or reordered (a keyed one shares a key)."""
    if (old.kind, old.present) != (new.kind, new.present):
        return False
    if new.kind in KEYED_PROVIDERS:
        return any(_same_key(o, n) for o in old.keys for n in new.keys)
    return old.kms == new.kms


def _pair(old: Sequence[Any], new: Sequence[Any], same: Callable[[Any, Any], bool]) -> list[int | None]:
    """For each new item, the index of the first unclaimed old item it continues (None: it is new)."""
    claimed: set[int] = set()
    pairs: list[int | None] = []
    for item in new:
        index = next((i for i, o in enumerate(old) if i not in claimed and same(o, item)), None)
        if index is not None:
            claimed.add(index)
        pairs.append(index)
    return pairs


def _fresh(value: Any) -> Any:
    """A new round-trip node (block style) for a plain value from :func:`~.config.to_document`."""
    if isinstance(value, dict):
        return CommentedMap((k, _fresh(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_fresh(v) for v in value)
    return value


# -- comments that travel with list items --------------------------------------------------


def _is_block(node: Any) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and bool(node) and not node.fa.flow_style()


def _tail_slot(parent: CommentedMap | CommentedSeq, key: Any) -> _Slot:
    """Where ruamel keeps the comment after ``parent[key]``: on the last scalar inside it, however deep."""
    value = parent[key]
    if _is_block(value):
        last = len(value) - 1 if isinstance(value, CommentedSeq) else next(reversed(value))
        return _tail_slot(value, last)
    return parent.ca.items, key, 0 if isinstance(parent, CommentedSeq) else 2


def _take_following(slot: _Slot) -> str:
    """Remove and return the full comment lines after the slot's line (its own end-of-line comment stays)."""
    items, key, position = slot
    comments = items.get(key) or ()
    token = comments[position] if len(comments) > position else None
    if token is None:
        return ""
    text: str = token.value
    first, newline, rest = text.partition("\n")
    if first.strip():
        token.value = first + newline
    else:
        items[key][position] = None
    return rest


def _give_following(slot: _Slot, lines: str) -> None:
    if not lines:
        return
    items, key, position = slot
    comments = items.setdefault(key, [None] * 4)
    comments.extend([None] * (position + 1 - len(comments)))
    token = comments[position]
    if token is None:
        comments[position] = CommentToken("\n" + lines, CommentMark(0))
    else:
        text = token.value
        token.value = (text if text.endswith("\n") else text + "\n") + lines


def _detach(parent: CommentedMap, key: str) -> tuple[list[str], str]:
    """Each item's leading comment lines, and the lines after the last item, taken out of ``parent[key]``."""
    sequence = parent[key]
    if not _is_block(sequence):
        return [""] * len(sequence), ""
    comments = parent.ca.items.get(key)
    first = _take_following((parent.ca.items, key, 2))
    if comments is not None and comments[3]:
        first += "".join(_comment_line(token) for token in comments[3])
        comments[3] = None
    leads = [first]
    for index in range(len(sequence)):
        leads.append(_take_following(_tail_slot(sequence, index)))
    return leads[:-1], leads[-1]


def _comment_line(token: CommentToken) -> str:
    """A comment ruamel keeps between a key and its block value, as the text line it was."""
    text: str = token.value
    return " " * int(token.column) + text if text.startswith("#") else text


def _rebuild(parent: CommentedMap, key: str, chosen: list[tuple[Any, int | None]], leads: list[str],
             tail: str) -> None:
    """Make ``parent[key]`` the ``chosen`` nodes (with their old index, None if new) and put comments back."""
    sequence = parent[key]
    old_items = dict(sequence.ca.items)
    list.clear(sequence)
    list.extend(sequence, [node for node, _ in chosen])
    sequence.ca.items.clear()
    for new_index, (_, old_index) in enumerate(chosen):
        if old_index is not None and old_index in old_items:
            sequence.ca.items[new_index] = old_items[old_index]
    if not _is_block(sequence):
        return
    new_leads = [leads[i] if i is not None else "" for _, i in chosen]
    _give_following((parent.ca.items, key, 2), new_leads[0])
    for index in range(1, len(chosen)):
        _give_following(_tail_slot(sequence, index - 1), new_leads[index])
    _give_following(_tail_slot(sequence, len(chosen) - 1), tail)
