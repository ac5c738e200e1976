"""Byte-level interoperability with the real sops, both directions, every format.

Files sops encrypts must decrypt here to exactly what ``sops decrypt`` prints;
files we encrypt must decrypt with ``sops decrypt`` (which verifies the MAC)
to the same bytes, and look like sops' own (same values encrypted, same types).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from sealer.api import sops as api
from tests.sops.conftest import AgeKey, Sops
from tests.sops.samples import (
    BINARY_DOC,
    DOTENV_DOC,
    INI_DOC,
    JSON_DOC,
    YAML_COMMENTS,
    YAML_MULTIDOC,
    YAML_SCALARS,
)

CASES = {
    "yaml-comments": ("secret.yaml", YAML_COMMENTS.encode()),
    "yaml-multidoc": ("multi.yaml", YAML_MULTIDOC.encode()),
    "yaml-scalars": ("scalars.yaml", YAML_SCALARS.encode()),
    "json": ("secret.json", JSON_DOC.encode()),
    "dotenv": ("secret.env", DOTENV_DOC.encode()),
    "ini": ("secret.ini", INI_DOC.encode()),
    "binary": ("blob.bin", BINARY_DOC),
}

ENC_TYPE = re.compile(rb"ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:(\w+)\]")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_file_encrypted_by_sops_decrypts_to_sops_output(case: str, tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    name, plain = CASES[case]
    source = _write(tmp_path, name, plain)
    encrypted = _write(tmp_path, "enc-" + name, sops.encrypt(source, recipients=(age_key,)))
    expected = sops.decrypt(encrypted, keys=(age_key,))

    ours = api.decrypt(encrypted.read_bytes(), filename=str(encrypted), identities=[age_key.secret])

    assert ours == expected
    if case == "binary":
        assert ours == plain


@pytest.mark.parametrize("case", sorted(CASES))
def test_file_we_encrypt_decrypts_with_sops(case: str, tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    name, plain = CASES[case]
    source = _write(tmp_path, name, plain)
    ours = api.encrypt(plain, recipients=[age_key.recipient], filename=name)
    ours_path = _write(tmp_path, "ours-" + name, ours)
    theirs = sops.encrypt(source, recipients=(age_key,))

    # sops verifies the MAC while decrypting; it must print what it prints for its own file.
    via_sops = sops.decrypt(ours_path, keys=(age_key,))
    theirs_path = _write(tmp_path, "theirs-" + name, theirs)
    assert via_sops == sops.decrypt(theirs_path, keys=(age_key,))
    assert api.decrypt(ours, filename=name, identities=[age_key.secret]) == via_sops
    # Same values encrypted with the same type tags, in the same order.
    assert ENC_TYPE.findall(ours) == ENC_TYPE.findall(theirs)
    assert plain not in ours or not plain


def test_layout_matches_sops_apart_from_random_parts(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    """Our encrypted YAML differs from sops' only in ciphertexts, IVs, tags, dates and age armor."""

    def normalise(data: bytes) -> list[bytes]:
        text = re.sub(rb"data:[^,]*,iv:[^,]*,tag:[^,]*,", b"X,", data)
        text = re.sub(rb"lastmodified: .*", b"LM", text)
        text = re.sub(rb"BEGIN AGE ENCRYPTED FILE-----\n.*?\n *-----END", b"AGE", text, flags=re.DOTALL)
        return text.splitlines()

    source = _write(tmp_path, "secret.yaml", YAML_COMMENTS.encode())
    theirs = sops.encrypt(source, recipients=(age_key,))
    ours = api.encrypt(YAML_COMMENTS.encode(), recipients=[age_key.recipient], filename="secret.yaml")
    assert normalise(ours) == normalise(theirs)


def test_value_types_are_tagged_as_sops_tags_them(age_key: AgeKey) -> None:
    plain = b"# note\ns: text\ni: 7\nf: 1.5\nb: true\nt: 2024-01-01\n"
    encrypted = api.encrypt(plain, recipients=[age_key.recipient], filename="x.yaml")
    # ... and the MAC, a str, last.
    assert ENC_TYPE.findall(encrypted) == [b"comment", b"str", b"int", b"float", b"bool", b"time", b"str"]
    assert api.decrypt(encrypted, filename="x.yaml", identities=[age_key.secret]) == (
        b"# note\ns: text\ni: 7\nf: 1.5\nb: true\nt: 2024-01-01T00:00:00Z\n"
    )


def test_key_groups_with_shamir_both_ways(
    tmp_path: Path, sops: Sops, age_key: AgeKey, other_age_key: AgeKey, third_age_key: AgeKey
) -> None:
    config = tmp_path / ".sops.yaml"
    config.write_text(
        "creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n"
        f"      - age: [{age_key.recipient}]\n      - age: [{other_age_key.recipient}]\n"
        f"      - age: [{third_age_key.recipient}]\n"
    )
    source = _write(tmp_path, "secret.yaml", b"password: hunter2\n")
    theirs = sops.encrypt(source, cwd=tmp_path)
    # Any two of the three groups open it, here as with sops.
    assert api.decrypt(theirs, filename="x.yaml", identities=[age_key.secret, third_age_key.secret]) == (
        b"password: hunter2\n"
    )
    ours = api.encrypt(source.read_bytes(), filename=str(source), config=config)
    assert b"shamir_threshold: 2" in ours and ours.count(b"recipient:") == 3
    ours_path = _write(tmp_path, "ours.yaml", ours)
    assert sops.decrypt(ours_path, keys=(other_age_key, third_age_key)) == b"password: hunter2\n"
    one_group = sops.run("decrypt", str(ours_path), keys=(age_key,), check=False)
    assert one_group.returncode != 0


COMMENT_LAYOUTS = [
    "list:\n  - a: 1\n    b: 2\n  # X\nother: x\n",
    "m:\n  - k: v\n    # X\n  - j: w\n",
    "a:\n  b: 1\n  # X\nc: 2\n",
    "a:\n  b: 1\n# X\nc: 2\n",
    "a:\n  b:\n    c: 1\n  # X\n  d: 2\n",
    "a:\n  b:\n    c: 1\n    # X\n  d: 2\n",
    "l:\n- x\n# X\n- y\n",
    "l:\n- x\n# X\nk: 1\n",
    "l:\n  - x\n  # X\n  - y\n",
    "l:\n  - x\n# X\n  - y\n",
    "l:\n  - a: 1\n  # X\n  - b: 2\n",
    "l:\n  - a: 1\n    # X\n    b: 2\n",
    "l:\n  - a:\n      x: 1\n    # X\n  - b: 2\n",
    "l:\n  - a:\n      x: 1\n  # X\n  - b: 2\n",
    "a:\n  - 1\n  - 2\n  # X\nb: 3\n",
    "a:\n  x:\n    - k: 1\n    # X\n  y: 2\n",
    "a:\n  b:\n    c: 1\n  # X\nd: 2\n",
    "a:\n  b: 1\n\n  # X\nc: 2\n",
    "a: 1 # X\nb: # Y\n  c: 'q' # Z\nl:\n  - x # W\n",
    "l:\n  - # X\n    v: 1\n",
    "a:\n  b: 1\n# X\n",
    "a:\n  flow: [1, 2]  # X\n  b: 1\n",
    "a:\n  e: {}  # X\n  b: 1\n",
    "a: |  # X\n  lit\nb: 1\n",
    "m: {k: v, j: w}  # X\nb: 1\n",
]


def test_comments_land_where_sops_puts_them(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    """Hand-written comment layouts: our reading (hence output and comment AAD) matches sops'.

    All layouts go through sops in one multi-document file; each comment must end
    up in the same place of the same document, encrypted so that sops decrypts it.
    """
    text = "---\n".join(COMMENT_LAYOUTS).encode()
    source = _write(tmp_path, "layouts.yaml", text)
    theirs = sops.decrypt(_write(tmp_path, "theirs.yaml", sops.encrypt(source, recipients=(age_key,))),
                          keys=(age_key,))
    ours = api.encrypt(text, recipients=[age_key.recipient], filename="layouts.yaml")
    assert sops.decrypt(_write(tmp_path, "ours.yaml", ours), keys=(age_key,)) == theirs
    assert b"ENC[" not in theirs


_FUZZ_PIECES = [*"abcXYZ019 _-:#,[]{}&*!|>'\"%@`?.~\\/\t\n\r", "é", "ü", "\U0001f600", "\u2028", "\x85", "\x00",
                "\x01", "\xa0", "\ufeff", "yes", "no", "true", "null", "0x1F", "1e3", "012", "2024-01-01", "<<",
                "---", "...", "  "]


def _fuzz_value(rng: random.Random, depth: int) -> object:
    choice = rng.random()
    if depth > 2 or choice < 0.5:
        kind = rng.random()
        if kind < 0.7:
            return "".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randint(0, 8)))
        if kind < 0.8:
            return rng.choice([0, 1, -5, 12345678901, 3.5, 1e21, 1e-7, 100000.0, 1234567.0, 0.1])
        return rng.choice([True, False, None])
    if choice < 0.75:
        return {"".join(rng.choice(_FUZZ_PIECES) for _ in range(rng.randint(1, 6))): _fuzz_value(rng, depth + 1)
                for _ in range(rng.randint(0, 4))}
    return [_fuzz_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_documents_render_as_sops_renders_them(seed: int, tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    """Awkward strings (indicators, quotes, tabs, LS/NEL, BOM, YAML-lookalikes) and numbers, via JSON input,
    printed as YAML and JSON: byte for byte what sops prints (go-yaml's quoting rules and its quirks)."""
    rng = random.Random(seed)
    document = {f"k{i}_" + str(_fuzz_value(rng, 3)): _fuzz_value(rng, 0) for i in range(40)}
    encrypted = _write(tmp_path, "in.json", sops.encrypt(_write(tmp_path, "p.json", json.dumps(document).encode()),
                                                         recipients=(age_key,)))
    for output in ("yaml", "json"):
        expected = sops.decrypt(encrypted, "--output-type", output, keys=(age_key,))
        ours = api.decrypt(encrypted.read_bytes(), filename="in.json", output_type=output,
                           identities=[age_key.secret])
        assert ours == expected, output


_SECRET_LINES = """\
apiVersion: v1
kind: Secret
metadata:
  name: db
  labels:
    app: web
    tier: backend
data:
  user: admin
  password: hunter2
  hosts:
  - db-0
  - db-1
  nested:
    - name: a
      value: x
    - name: b
      deep:
        k: v
  port: 5432
type: Opaque
""".splitlines()


def _with_random_comments(rng: random.Random) -> str:
    out, number = [], 0
    for line in _SECRET_LINES:
        if rng.random() < 0.35:
            out.append(" " * rng.choice([0, 2, 4, 6, 8]) + f"# c{number}")
            number += 1
        if rng.random() < 0.15 and not line.endswith(":"):
            line += f"  # e{number}"
            number += 1
        out.append(line)
    if rng.random() < 0.5:
        out.append(" " * rng.choice([0, 2, 4]) + f"# c{number}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("seed", [1, 2])
def test_random_comment_placement_matches_sops(seed: int, tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    """Comment lines at random indentation in a Secret: each lands where go-yaml puts it (head or foot of
    which block), so our encrypted file carries the same comment ciphertext paths and layout as sops'."""
    rng = random.Random(seed)
    text = "---\n".join(_with_random_comments(rng) for _ in range(25)).encode()
    theirs = sops.encrypt(_write(tmp_path, "c.yaml", text), recipients=(age_key,))
    expected = sops.decrypt(_write(tmp_path, "theirs.yaml", theirs), keys=(age_key,))
    assert api.decrypt(theirs, filename="t.yaml", identities=[age_key.secret]) == expected
    ours = api.encrypt(text, recipients=[age_key.recipient], filename="c.yaml")
    assert sops.decrypt(_write(tmp_path, "ours.yaml", ours), keys=(age_key,)) == expected
