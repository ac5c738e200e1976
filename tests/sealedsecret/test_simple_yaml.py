"""The fast manifest reader either returns exactly what ruamel.yaml's safe loader returns, or declines."""

from __future__ import annotations

import io
import random
import string
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sealer.formats import simple_yaml
from sealer.formats.manifests import dump_yaml

SAFE = YAML(typ="safe")

HANDLED = [
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: b\nstringData:\n  k: v\n",
    "---\na: 1\n---\n\n---\nb: [] # c\nc: {}\n",
    "# head\na:   # after key\n  b: c # comment\n  d: 'it''s'\n  e: \"x # y\"\n  f: a#b\n",
    "items:\n- name: a\n  list:\n  - x\n  - 'y'\n  other: 1\n- b\n- \"q: x\"\n-\n  deep: true\n",
    "a:\n  - x\n  - y\nb: null\nc: ~\nd:\ne: True\nf: FALSE\ng: no\nh: yes\ni: on\n",
    "url: http://x:8080/p?q=1\npath: /etc/x\ndata: AgB+/==\nplus: a+b\n",
    "tls.crt: LS0tLS1CRUdJTi\nsealedsecrets.bitnami.com/namespace-wide: \"true\"\n",
    "a: 'single \"double\" inside'\nb: \"single 'inside'\"\n",
    "seq:\n  - a\n  - b: 1\n    c: 2\n",
]
DECLINED = [
    "a: |\n  block\n", "a: >\n  folded\n", "a: &x 1\nb: *x\n", "a: !tag x\n", "a: {b: 1}\n", "a: [1, 2]\n",
    "a: 1.5\n", "a: 0x1F\n", "a: 2024-01-01\n", "a: -1\n", "a: multi\n  line\n", "a:\tb\n", "%YAML 1.2\n---\na: 1\n",
    "a: \"esc\\n\"\n", "a: 1\na: 2\n", "? complex\n: value\n", "- - nested\n", "just a scalar\n", " a: 1\n",
    "a: b: c\n", "1e3: x\n", "a: 'unterminated\n", "a: 'x' trailing\n", "--- {a: 1}\n", "a: 1\n...\n",
    "a:\n  b: 1\n   c: 2\n", "true: x\n", "a: 007\n", "a: .inf\n", "a: +1\n", "<<: {}\n",
]


@pytest.mark.parametrize("text", HANDLED)
def test_handled_documents_match_ruamel(text: str) -> None:
    assert simple_yaml.load(text) == [d for d in SAFE.load_all(text) if d is not None]


@pytest.mark.parametrize("text", DECLINED)
def test_declines_what_it_does_not_know(text: str) -> None:
    assert simple_yaml.load(text) is None


def _random_value(rnd: random.Random, depth: int) -> Any:
    words = ["a", "b.c/d", "true", "no", "null", "~", "12", "0", "x y", "it's", 'say "hi"', "#x", "a #b", "-", "",
             "AgB+/x==", "http://h:1/p", "é€", "a: b", "1.5", "2024-01-01", ".5", "-3", " lead", "tail "]
    kind = rnd.randrange(8 if depth < 3 else 4)
    if kind == 0:
        return rnd.choice(words)
    if kind == 1:
        return rnd.choice([True, False, None, 0, 7, -2, 123456])
    if kind == 2:
        return "".join(rnd.choice(string.ascii_letters + string.digits + " #:'\"-/.") for _ in range(rnd.randrange(9)))
    if kind == 3:
        return rnd.choice(words) + rnd.choice(words)
    if kind in (4, 5, 6):
        keys = ["name", "namespace", "tls.key", "app.kubernetes.io/name", "k-1", "data", "x_y"]
        return {rnd.choice(keys): _random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))}
    return [_random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]


def _dumps(doc: Any, rnd: random.Random) -> str:
    choice = rnd.randrange(3)
    if choice == 0:
        return dump_yaml(doc).decode()
    yaml = YAML(typ="safe" if choice == 1 else "rt")
    yaml.default_flow_style = False
    if rnd.random() < 0.5:
        yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def test_generated_documents_agree_with_ruamel() -> None:
    rnd = random.Random(20261201)
    handled = 0
    for _ in range(600):
        doc = {"root": _random_value(rnd, 0), "meta": {"name": _random_value(rnd, 2)}}
        text = _dumps(doc, rnd)
        got = simple_yaml.load(text)
        if got is not None:
            handled += 1
            assert got == [SAFE.load(text)], text
    assert handled > 200  # the subset is not trivially declining everything


def test_mutated_documents_never_accept_what_ruamel_rejects_or_reads_differently() -> None:
    rnd = random.Random(7)
    noise = [":", " ", "#", "'", '"', "-", "\n", "  ", "- ", ": ", "{", "|", "\n  ", "x"]
    for _ in range(1500):
        text = rnd.choice(HANDLED)
        for _ in range(rnd.randrange(1, 4)):
            at = rnd.randrange(len(text) + 1)
            text = text[:at] + rnd.choice(noise) + text[at + rnd.randrange(2):]
        got = simple_yaml.load(text)
        if got is None:
            continue
        try:
            expected = [d for d in SAFE.load_all(text) if d is not None]
        except YAMLError:
            pytest.fail(f"accepted YAML that ruamel rejects: {text!r}")
        assert got == expected, text
