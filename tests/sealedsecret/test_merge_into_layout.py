"""`sealer seal --merge-into` keeps the text ruamel's round trip alone would lose, byte for byte.

ruamel drops a header (comments, directives) above a leading ``---`` with the
marker itself, writes ``\\n`` into CRLF files, moves a comment at the end of
the file above an item appended after it, drops ``...`` and a missing final
newline. Each test states the exact file expected: the user's file with only
the merged items changed. JSON targets are written as they always were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from sealer import yaml_layout
from sealer.formats.manifests import dump_round_trip, load_round_trip
from sealer.formats.sealedsecret.model import SealedSecret
from sealer.formats.sealedsecret.unseal import decrypt_values
from sealer.keys.keyring import KeyRing, SealingKey

from .conftest import CLI

ZETA = "AgBy3i4OJSWK+PiTySYZZA=="
OLD = "AgAoldoldoldoldoldoldold=="
UPDATE = b"""\
kind: Secret
metadata: {name: ignored}
stringData:
  password: new-pass-plaintext
  added: fresh-plaintext
"""

# encryptedData is the last mapping, so the added item goes at the end of the file (after the last item).
BODY = """\
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: app  # the app's credentials
  namespace: prod
spec:
  encryptedData:
    zeta: '{zeta}'  # kept as is
    password: {password}
"""

# (file head, file tail): everything the round trip must copy verbatim around the document.
LAYOUTS = {
    "header above ---": ("# Sealed by CI: do not edit by hand.\n#   owner: team-a\n\n---\n", ""),
    "bare ---": ("---\n", ""),
    "directive": ("%YAML 1.2\n---\n", ""),
    "comment at the end": ("", "# end of the app's secrets\n"),
    "blank lines and comments at the end": ("", "\n# one\n  # two, indented\n\n"),
    "document end marker": ("", "...\n"),
    "comments after the end marker": ("", "# before\n...\n# after the end\n"),
    "everything": ("# header\n---\n", "\n# trailer\n"),
}


def _merge(sealer_cli: CLI, cert_file: Path, target: Path, before: bytes) -> tuple[bytes, dict[str, str]]:
    target.write_bytes(before)
    res = sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(target), stdin=UPDATE)
    assert res.code == 0, res.err
    assert res.out == b""
    for plaintext in (b"new-pass-plaintext", b"fresh-plaintext"):
        assert plaintext not in target.read_bytes() and plaintext.decode() not in res.err
    after = target.read_bytes()
    docs = [d for d in YAML(typ="safe").load_all(after.decode("utf-8-sig")) if d is not None]
    assert len(docs) == 1
    return after, docs[0]["spec"]["encryptedData"]


def _check_values(encrypted: dict[str, str], key: SealingKey) -> None:
    doc = {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
           "metadata": {"name": "app", "namespace": "prod"},
           "spec": {"encryptedData": {k: encrypted[k] for k in ("password", "added")}}}
    assert decrypt_values(SealedSecret.from_dict(doc), KeyRing.of([key])).values == {
        "password": b"new-pass-plaintext", "added": b"fresh-plaintext"}


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_merge_keeps_head_tail_and_line_ends(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey, layout: str, crlf: bool
) -> None:
    head, tail = LAYOUTS[layout]
    before = head + BODY.format(zeta=ZETA, password=OLD) + tail
    after, encrypted = _merge(sealer_cli, cert_file, tmp_path / "s.yaml",
                              (before.replace("\n", "\r\n") if crlf else before).encode())
    expected = (head + BODY.format(zeta=ZETA, password=encrypted["password"])
                + f"    added: {encrypted['added']}\n" + tail)
    assert after.decode() == (expected.replace("\n", "\r\n") if crlf else expected)
    assert encrypted["zeta"] == ZETA and encrypted["password"] != OLD
    _check_values(encrypted, key2048)


@pytest.mark.parametrize("tail", ["", "# the end, without a newline"])
def test_merge_keeps_a_missing_final_newline(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey, tail: str
) -> None:
    body = BODY.format(zeta=ZETA, password=OLD)
    before = body + tail if tail else body[:-1]
    after, encrypted = _merge(sealer_cli, cert_file, tmp_path / "s.yaml", before.encode())
    expected = BODY.format(zeta=ZETA, password=encrypted["password"]) + f"    added: {encrypted['added']}"
    assert after.decode() == (expected + "\n" + tail if tail else expected)
    _check_values(encrypted, key2048)


def test_merge_keeps_a_byte_order_mark(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey
) -> None:
    before = "# header\n---\n" + BODY.format(zeta=ZETA, password=OLD)
    after, encrypted = _merge(sealer_cli, cert_file, tmp_path / "s.yaml", b"\xef\xbb\xbf" + before.encode())
    expected = ("# header\n---\n" + BODY.format(zeta=ZETA, password=encrypted["password"])
                + f"    added: {encrypted['added']}\n")
    assert after == b"\xef\xbb\xbf" + expected.encode()
    _check_values(encrypted, key2048)


def test_merge_into_json_is_written_as_before(
    sealer_cli: CLI, cert_file: Path, tmp_path: Path, key2048: SealingKey
) -> None:
    """JSON keeps its key order and indent, and is written as ``json.dumps`` writes it: LF, a final newline."""
    before = (
        '{\r\n    "kind": "SealedSecret",\r\n    "apiVersion": "bitnami.com/v1alpha1",\r\n'
        '    "metadata": {"name": "app", "namespace": "prod"},\r\n'
        f'    "spec": {{"encryptedData": {{"zeta": "{ZETA}", "password": "{OLD}"}}}}\r\n}}'
    )
    target = tmp_path / "s.json"
    target.write_bytes(before.encode())
    res = sealer_cli("seal", "--cert", str(cert_file), "--merge-into", str(target), stdin=UPDATE)
    assert res.code == 0, res.err
    after = target.read_text()
    encrypted = json.loads(after)["spec"]["encryptedData"]
    assert after == (
        '{\n    "kind": "SealedSecret",\n    "apiVersion": "bitnami.com/v1alpha1",\n'
        '    "metadata": {\n        "name": "app",\n        "namespace": "prod"\n    },\n'
        '    "spec": {\n        "encryptedData": {\n'
        f'            "zeta": "{ZETA}",\n'
        f'            "password": "{encrypted["password"]}",\n'
        f'            "added": "{encrypted["added"]}"\n'
        "        }\n    }\n}\n"
    )
    _check_values(encrypted, key2048)


@pytest.mark.parametrize(
    "text",
    [
        "# head\n---\na: 1\n# between\n---\nb: 2\n# end\n",
        "a: 1\n---\nb: [2]\n...\n",
        "# head\r\n\r\n---\r\na: 1  # one\r\n---\r\nb:\r\n- 2\r\n# end\r\n",
    ],
)
def test_an_unedited_stream_is_written_back_unchanged(text: str) -> None:
    """The round trip under ``--merge-into`` and offline re-encryption: several documents, nothing edited."""
    assert dump_round_trip(load_round_trip(text.encode())).decode() == text


@pytest.mark.parametrize(
    ("text", "head", "explicit"),
    [
        ("# h\n\n%YAML 1.2\n---\na: 1\n", "# h\n\n%YAML 1.2\n---\n", False),
        ("---\r\na: 1\r\n", "---\r\n", False),
        ("# h\na: 1\n", "", False),  # ruamel keeps a header without a marker itself
        ("--- !tag\na: 1\n", "", True),  # the marker shares its line: ruamel writes it
        ("----x: 1\n", "", False),  # a plain scalar, not a marker
        ("# only a comment\n", "", False),
    ],
)
def test_split_head(text: str, head: str, explicit: bool) -> None:
    """The head both round trips (this one and the EncryptionConfiguration's) copy verbatim."""
    assert yaml_layout.split_head(text) == (head, explicit)
