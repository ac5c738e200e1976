"""Pieces with exact expected answers: Go number formats, Shamir, tree paths, metadata schemas, leaf format."""

from __future__ import annotations

import itertools
import re

import pytest

from sealer.api import sops as api
from sealer.crypto import sops_aead, sops_shamir
from sealer.errors import FormatError, KeyNotFoundError
from sealer.formats.sops.gofmt import format_float_f, format_float_g, format_float_json, parse_go_int
from sealer.formats.sops.metadata import Metadata, canonical_rfc3339
from sealer.formats.sops.store_json import go_json_string
from sealer.formats.sops.tree import Branch, TreeItem
from sealer.formats.sops.treepath import parse_json_value, parse_tree_path, set_in, unset_in
from tests.sops.conftest import AgeKey


@pytest.mark.parametrize(
    ("value", "f", "g", "js"),
    [
        (0.0, "0", "0", "0"),
        (3.5, "3.5", "3.5", "3.5"),
        (100000.0, "100000", "100000", "100000"),
        (1e6, "1000000", "1e+06", "1000000"),
        (1234567.5, "1234567.5", "1.2345675e+06", "1234567.5"),
        (1.5e-7, "0.00000015", "1.5e-07", "1.5e-7"),
        (1e21, "1000000000000000000000", "1e+21", "1e+21"),
        (-2.25, "-2.25", "-2.25", "-2.25"),
    ],
)
def test_go_float_formats(value: float, f: str, g: str, js: str) -> None:
    """strconv.FormatFloat 'f'/-1 (MAC, ciphertext), 'g'/-1 (go-yaml) and encoding/json."""
    assert (format_float_f(value), format_float_g(value), format_float_json(value)) == (f, g, js)


def test_go_int_parsing() -> None:
    assert [parse_go_int(t, base0=True) for t in ("012", "0x1F", "0o17", "0b101", "-7", "+3")] == [10, 31, 15, 5, -7, 3]
    for bad in ("08", "1.5", "", "9223372036854775808"):
        with pytest.raises(ValueError):
            parse_go_int(bad, base0=True)


def test_go_json_string_escapes_like_encoding_json() -> None:
    assert go_json_string("<a href='x'>&\u2028\t\x01é") == '"\\u003ca href=\'x\'\\u003e\\u0026\\u2028\\t\\u0001é"'


def test_shamir_any_threshold_subset_recombines() -> None:
    secret = bytes(range(32))
    shares = sops_shamir.split(secret, 5, 3)
    assert all(len(s) == 33 and s[-1] == i + 1 for i, s in enumerate(shares))
    for subset in itertools.combinations(shares, 3):
        assert sops_shamir.combine(list(subset)) == secret
    assert sops_shamir.combine(shares[:2]) != secret
    with pytest.raises(sops_shamir.ShamirError):
        sops_shamir.combine([shares[0], shares[0]])


def test_leaf_format_and_iv_size() -> None:
    key = bytes(32)
    text = sops_aead.encrypt(b"hello", key, "a:b:", "str")
    parsed = sops_aead.parse(text)
    assert len(parsed.iv) == 32 and len(parsed.tag) == 16 and parsed.datatype == "str"
    assert re.fullmatch(r"ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]", text)
    assert sops_aead.decrypt(text, key, "a:b:")[0] == b"hello"
    with pytest.raises(sops_aead.LeafDecryptionError):
        sops_aead.decrypt(text, key, "a:c:")  # moved to another path
    # The same IV gives the same ciphertext (what sops' stash relies on).
    assert sops_aead.encrypt(b"hello", key, "a:b:", "str", iv=parsed.iv) == text


def test_tree_paths_set_and_unset_as_sops() -> None:
    assert parse_tree_path('["a"][0][\'b\']') == ["a", 0, "b"]
    with pytest.raises(FormatError):
        parse_tree_path('["a"')
    branch = Branch([TreeItem("a", Branch([TreeItem("b", 1)])), TreeItem("l", ["x"])])
    branch = set_in(branch, ["a", "c", "d"], "new")
    branch = set_in(branch, ["l", 5], "appended")
    branch = set_in(branch, ["l", 0], parse_json_value('{"k": 2}'))
    assert [i.key for i in branch[0].value] == ["b", "c"]  # type: ignore[union-attr]
    assert branch[1].value[1] == "appended"  # type: ignore[index]
    assert isinstance(branch[1].value[0], Branch)  # type: ignore[index]
    assert parse_json_value("5") == 5.0  # JSON numbers are floats in sops
    branch = unset_in(branch, ["a", "b"])
    with pytest.raises(FormatError, match="not found"):
        unset_in(branch, ["a", "b"])


def test_metadata_reads_older_and_newer_layouts(age_key: AgeKey) -> None:
    ours = api.encrypt(b"a: 1\n", recipients=[age_key.recipient], filename="x.yaml")
    decrypted = api.decrypt_file(ours, filename="x.yaml", identities=[age_key.secret])
    schema = decrypted.metadata.to_schema()
    assert list(schema) == ["age", "lastmodified", "mac", "unencrypted_suffix", "version"]  # 3.11 order
    # sops <= 3.8 wrote every key type, empty; 3.13 sorts keys. Both must parse the same.
    old = {"kms": [], "gcp_kms": None, "azure_kv": [], "hc_vault": [], "pgp": [], **schema}
    newer = dict(sorted(schema.items()))
    for variant in (old, newer):
        parsed = Metadata.from_schema(variant)
        assert parsed.age_recipients() == [age_key.recipient] and parsed.mac == decrypted.metadata.mac
    assert canonical_rfc3339("2024-01-02T03:04:05.123+00:00") == "2024-01-02T03:04:05Z"
    with pytest.raises(FormatError):
        Metadata.from_schema({**schema, "age": [], "lastmodified": "2024"})


def test_recipients_are_validated(age_key: AgeKey) -> None:
    with pytest.raises(KeyNotFoundError, match=r"not a valid age recipient"):
        api.encrypt(b"a: 1\n", recipients=["age1notvalid"], filename="x.yaml")
    with pytest.raises(FormatError, match="already encrypted"):
        ours = api.encrypt(b"a: 1\n", recipients=[age_key.recipient], filename="x.yaml")
        api.encrypt(ours, recipients=[age_key.recipient], filename="x.yaml")


def test_duplicate_yaml_keys_are_refused_as_sops_refuses_them(age_key: AgeKey) -> None:
    for text in (b"a: 1\nb: 2\na: 3\n", b"x:\n  a: 1\n  a: 2\n"):
        for fast in (True, False):
            with pytest.raises(FormatError, match="mapping key 'a' already defined"):
                from sealer.formats.sops import store_yaml

                store_yaml.load(text.decode(), fast=fast)
        with pytest.raises(FormatError, match="already defined"):
            api.encrypt(text, recipients=[age_key.recipient], filename="x.yaml")


def test_extract_non_string_values_render_in_the_file_format(age_key: AgeKey) -> None:
    doc = b"a:\n  num: 5\n  l:\n    - x\n    - 2\n"
    encrypted = api.encrypt(doc, recipients=[age_key.recipient], filename="x.yaml")
    opened = {"filename": "x.yaml", "identities": [age_key.secret]}
    assert api.decrypt(encrypted, extract='["a"]["num"]', **opened) == b"5\n"  # type: ignore[arg-type]
    assert api.decrypt(encrypted, extract='["a"]["l"]', **opened) == b"- x\n- 2\n"  # type: ignore[arg-type]
    assert api.decrypt(encrypted, extract='["a"]', **opened) == b"num: 5\nl:\n    - x\n    - 2\n"  # type: ignore[arg-type]
    assert api.decrypt(encrypted, extract=["a", "l", 0], **opened) == b"x"  # type: ignore[arg-type]
    with pytest.raises(FormatError, match="not found"):
        api.decrypt(encrypted, extract='["b"]', **opened)  # type: ignore[arg-type]


def test_set_idempotent_and_ignore_mac(age_key: AgeKey) -> None:
    encrypted = api.encrypt(b"a:\n  b: 1\nc: x\n", recipients=[age_key.recipient], filename="x.yaml")
    opened = {"filename": "x.yaml", "identities": [age_key.secret]}
    assert api.set_value(encrypted, path='["a"]["b"]', value=1, idempotent=True, **opened) is None  # type: ignore[arg-type]
    changed = api.set_value(encrypted, path='["a"]["b"]', value=2, idempotent=True, **opened)  # type: ignore[arg-type]
    assert changed is not None and b"b: 2" in api.decrypt(changed, **opened)  # type: ignore[arg-type]
    from sealer.errors import IntegrityError

    edited = api.encrypt(b"a: 1\nnote_unencrypted: p\n", recipients=[age_key.recipient], filename="x.yaml")
    edited = edited.replace(b"note_unencrypted: p", b"note_unencrypted: q")
    with pytest.raises(IntegrityError):
        api.set_value(edited, path='["a"]', value=2, **opened)  # type: ignore[arg-type]
    repaired = api.set_value(edited, path='["a"]', value=2, ignore_mac=True, **opened)  # type: ignore[arg-type]
    assert repaired is not None
    assert api.decrypt(repaired, **opened) == b"a: 2\nnote_unencrypted: q\n"  # type: ignore[arg-type]  # new MAC
