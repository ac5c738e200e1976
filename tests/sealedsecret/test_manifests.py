from __future__ import annotations

import json
import random
import string
from typing import Any

import pytest
from ruamel.yaml import YAML

from sealer.errors import InputError
from sealer.formats.manifests import (
    dump_json,
    dump_round_trip,
    dump_yaml,
    load_documents,
    load_round_trip,
)

TRICKY = [
    "", "yes", "No", "ON", "null", "~", "true", "1", "0x1F", "1e3", ".5", "-", "- a", "a: b", "#x", "a #b",
    "@at", "`tick", "!tag", "&anchor", "*alias", "%pct", "{x}", "[y]", "line\nbreak", " lead", "trail ",
    "quote'\"", "tab\tx", "uni ü €", "\u2028sep", "a\u0085b", "AgB+/=", "+plus", "/slash", "=eq", "x:", "?q",
    "12:30", "2024-01-01", "1_000", ".inf", "y", "N",
]


def test_yaml_emitter_round_trips_tricky_strings() -> None:
    doc = {"kind": "X", "metadata": {"annotations": {f"k{i}": s for i, s in enumerate(TRICKY)}}, "list": TRICKY}
    text = dump_yaml(doc)
    assert text.startswith(b"---\n")
    for loader in (YAML(typ="safe"), YAML(typ="rt")):
        assert loader.load(text.decode()) == doc
    assert load_documents(text) == [doc]


def test_yaml_emitter_random_structures() -> None:
    rnd = random.Random(7)
    alphabet = string.printable + "üé€\u2028"

    def value(depth: int) -> Any:
        choice = rnd.randrange(7 if depth < 3 else 4)
        if choice == 0:
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(8)))
        if choice == 1:
            return rnd.choice([True, False, None, 0, -3, 17])
        if choice == 2:
            return rnd.choice(TRICKY)
        if choice == 3:
            return "AgB" + "".join(rnd.choice(string.ascii_letters + "+/") for _ in range(40)) + "=="
        if choice in (4, 5):
            return {rnd.choice([*TRICKY, "a", "b.c/d"]): value(depth + 1) for _ in range(rnd.randrange(4))}
        return [value(depth + 1) for _ in range(rnd.randrange(4))]

    for _ in range(200):
        doc = {"root": value(0), "other": value(1)}
        assert YAML(typ="safe").load(dump_yaml(doc).decode()) == doc


def test_yaml_keys_sorted_like_kubeseal() -> None:
    text = dump_yaml({"spec": {"template": {}, "encryptedData": {"b": "x", "a": "z"}}, "kind": "K"}).decode()
    assert text == "---\nkind: K\nspec:\n  encryptedData:\n    a: z\n    b: x\n  template: {}\n"


def test_json_output() -> None:
    assert dump_json({"b": 1, "a": None}) == b'{\n  "b": 1,\n  "a": null\n}\n'


def test_load_json_stream_and_yaml_multi_doc() -> None:
    assert load_documents(b'{"a": 1}\n{"b": 2}') == [{"a": 1}, {"b": 2}]
    assert load_documents(b"---\na: 1\n---\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert load_documents(b"{a: 1}") == [{"a": 1}]  # flow YAML is not JSON
    assert load_documents(b"\xef\xbb\xbfa: 1\n") == [{"a": 1}]  # BOM


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b'{"a": "s3cret-value"', "malformed JSON at line 1"),
        (b"a: s3cret-value\n b: [\n", "malformed YAML at line"),
        (b"password: s3cret-value\npassword: other-s3cret\n", "line 2, column 1: duplicate key"),
        (b"\xff\xfe", "not UTF-8"),
        (b"a: 'unterminated s3cret-value\n", "malformed YAML"),
        (b"a:\n\t- s3cret-value\n", "cannot start any token"),
        (b"a: [1, 2\nb: \"s3cret-value\"\n", "malformed YAML"),
    ],
)
def test_parse_errors_name_position_not_content(data: bytes, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        load_documents(data, source="in.yaml")
    assert "s3cret" not in str(info.value)
    assert str(info.value).startswith("in.yaml: ")


def test_round_trip_keeps_comments_order_and_quotes() -> None:
    text = (
        "---\n"
        "# head comment\n"
        "apiVersion: bitnami.com/v1alpha1\n"
        "kind: SealedSecret\n"
        "metadata:\n"
        "  namespace: ns   # where\n"
        "  name: n\n"
        "spec:\n"
        "  encryptedData:\n"
        "    zeta: 'Ag1'\n"
        "    alpha: Ag2 # second\n"
    )
    rt = load_round_trip(text)
    rt.documents[0]["spec"]["encryptedData"]["alpha"] = "Ag3"
    rt.documents[0]["spec"]["encryptedData"]["new"] = "Ag4"
    out = dump_round_trip(rt).decode()
    assert out == text.replace("Ag2 # second", "Ag3 # second") + "    new: Ag4\n"


def test_round_trip_json_keeps_order_and_indent() -> None:
    doc = {"kind": "SealedSecret", "spec": {"encryptedData": {"z": "1", "a": "2"}}}
    text = json.dumps(doc, indent=4)
    rt = load_round_trip(text)
    assert rt.is_json and rt.json_indent == 4
    rt.documents[0]["spec"]["encryptedData"]["m"] = "3"
    assert json.loads(dump_round_trip(rt))["spec"]["encryptedData"] == {"z": "1", "a": "2", "m": "3"}
    assert list(json.loads(dump_round_trip(rt))["spec"]["encryptedData"]) == ["z", "a", "m"]
    assert dump_round_trip(rt).decode().startswith('{\n    "kind"')


def test_json_escapes_like_go() -> None:
    doc = {"note": "<a href='x'>&</a>\u2028é"}
    text = dump_json(doc)
    assert text == b'{\n  "note": "\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e\\u2028\xc3\xa9"\n}\n'
    assert json.loads(text) == doc
