"""Known answers: files the real sops 3.11 wrote (tests/golden/sops) decrypt to what sops printed.

These need no sops binary, so they pin the format even where the peer is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sealer.api import sops as api
from sealer.errors import DecryptionError, IntegrityError, KeyNotFoundError
from sealer.formats.sops import store_yaml, yaml_fast
from tests.sops import samples

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "sops"
KEYS = (GOLDEN / "keys.txt").read_text()
FILES = {
    "secret.yaml": None,
    "secret.json": None,
    "secret.env": None,
    "blob.bin.json": "binary",
    "partial.yaml": None,
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_file_decrypts_to_sops_output(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    expected = (GOLDEN / f"{name.removesuffix('.json') if name == 'blob.bin.json' else name}.expected").read_bytes()
    assert api.decrypt(data, filename=name, input_type=FILES[name], identities=[KEYS]) == expected


def test_golden_partial_file_is_mac_only_encrypted_with_a_regex() -> None:
    decrypted = api.decrypt_file((GOLDEN / "partial.yaml").read_bytes(), filename="p.yaml", identities=[KEYS])
    assert decrypted.metadata.selectors.mac_only_encrypted
    assert decrypted.metadata.selectors.encrypted_regex == "^(password|ca.crt)$"


def test_golden_failures_are_typed() -> None:
    data = (GOLDEN / "secret.yaml").read_bytes()
    with pytest.raises(IntegrityError, match=r"MAC mismatch in secret\.yaml: .*edited or merged by hand"):
        api.decrypt(data.replace(b"note_unencrypted: visible", b"note_unencrypted: other"), filename="secret.yaml",
                    identities=[KEYS])
    with pytest.raises(KeyNotFoundError, match="age1"):
        api.decrypt(data, filename="secret.yaml", identities=[])
    start = data.index(b"kind: ENC[AES256_GCM,data:") + len(b"kind: ENC[AES256_GCM,data:")
    tampered = data[:start] + (b"B" if data[start : start + 1] == b"A" else b"A") + data[start + 1 :]
    with pytest.raises(DecryptionError, match="kind"):
        api.decrypt(tampered, filename="secret.yaml", identities=[KEYS])
    # A value moved to another key fails: its path is its additional data.
    lines = data.split(b"\n")
    kinds = [i for i, line in enumerate(lines) if line.startswith(b"kind: ENC")]
    lines[kinds[0]], lines[kinds[1]] = lines[kinds[1]], lines[kinds[0]]  # swap across documents: same path
    swapped = b"\n".join(lines)
    with pytest.raises(IntegrityError):  # decrypts (same path) but the MAC covers document order
        api.decrypt(swapped, filename="secret.yaml", identities=[KEYS])


YAML_INPUTS = {
    "golden-secret": (GOLDEN / "secret.yaml").read_text(),
    "golden-partial": (GOLDEN / "partial.yaml").read_text(),
    "golden-expected": (GOLDEN / "secret.yaml.expected").read_text(),
    "comments": samples.YAML_COMMENTS,
    "multidoc": samples.YAML_MULTIDOC,
    "scalars": samples.YAML_SCALARS,
    "indentless": "a:\n- x\n# c\n- y: 1\n  z: 2\nb: [1]\n",
    "nested-seq": "l:\n    - - a\n      - b\n    - - c\n    - k: v\n      m:\n        - 1\n",
    "quoted-keys": "\"yes\": 1\n'a: b': 2\n\"esc\\tkey\": \"v\\u00e9\\n\"\nk: 'it''s'\n",
    "literals": "a: |-\n    x\n\n    y\nb: |2\n      indented\nc: |\n    end\n\nd: e\n",
    "eol-comments": "a: 1 # one\nb: # two\n  c: 'q' # three\nl:\n  - x # four\n",
    "explicit-start": "---\na: 1\n---\nb: 2\n",
}


@pytest.mark.parametrize("name", sorted(YAML_INPUTS))
def test_fast_reader_agrees_with_ruamel(name: str) -> None:
    """Where the fast reader accepts input it must build exactly what the ruamel path builds."""
    text = YAML_INPUTS[name]
    assert store_yaml.emit(store_yaml.load(text)) == store_yaml.emit(store_yaml.load(text, fast=False))

    def shape(value: object) -> object:
        from sealer.formats.sops.tree import Branch, Comment

        if isinstance(value, Branch):
            return [(shape(i.key) if isinstance(i.key, Comment) else i.key, shape(i.value)) for i in value]
        if isinstance(value, list):
            return [shape(v) for v in value]
        if isinstance(value, Comment):
            return ("#", value.value)
        return (type(value).__name__, getattr(value, "text", value))

    assert [shape(b) for b in store_yaml.load(text)] == [shape(b) for b in store_yaml.load(text, fast=False)]


def test_fast_reader_takes_what_sops_writes() -> None:
    for name in ("golden-secret", "golden-partial", "golden-expected", "nested-seq", "literals", "explicit-start"):
        assert yaml_fast.parse(YAML_INPUTS[name]) is not None, name
    for text in ("a: &x 1\nb: *x\n", "a: [1, 2]\n", "a: >\n  folded\n", "a: b\n  continued\n", "\ta: 1\n"):
        assert yaml_fast.parse(text) is None, text
