"""Partial encryption: each selector chooses the same values as sops, in both directions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sealer.api import sops as api
from tests.sops.conftest import AgeKey, Sops

DOC = b"""\
# sops:enc
user: admin
password_enc: hunter2
# keep clear
plain_unenc: visible
data:
    # sops:enc
    token: abc
    other: def
    nested_enc:
        deep: x
list:
    - # sops:enc
      v: 1
    - w: 2
count: 5
"""

SELECTORS = {
    "encrypted_regex": "^(password|token)",
    "unencrypted_regex": "^(user|plain)",
    "encrypted_suffix": "_enc",
    "unencrypted_suffix": "_unenc",
    "encrypted_comment_regex": "sops:enc",
    "unencrypted_comment_regex": "keep clear",
}


def _values_part(data: bytes) -> bytes:
    """The document without the sops block, ciphertexts masked (they are random)."""
    body = data.split(b"\nsops:\n")[0]
    return re.sub(rb"data:[^,]*,iv:[^,]*,tag:[^,]*,", b"X,", body)


@pytest.mark.parametrize("mac_only", [False, True], ids=["mac-all", "mac-only-encrypted"])
@pytest.mark.parametrize("selector", sorted(SELECTORS))
def test_selector_both_directions(selector: str, mac_only: bool, tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    source = tmp_path / "doc.yaml"
    source.write_bytes(DOC)
    flags = [f"--{selector.replace('_', '-')}", SELECTORS[selector]] + (["--mac-only-encrypted"] if mac_only else [])
    # Comment selectors and --mac-only-encrypted are only flags of sops' legacy top-level form.
    theirs = sops.run("--encrypt", "--age", age_key.recipient, *flags, str(source)).stdout
    ours = api.encrypt(
        DOC, recipients=[age_key.recipient], filename="doc.yaml", mac_only_encrypted=mac_only,
        **{selector: SELECTORS[selector]},
    )
    assert _values_part(ours) == _values_part(theirs)
    assert (b"mac_only_encrypted: true" in ours) is mac_only
    assert f"{selector}: ".encode() in ours

    (tmp_path / "ours.yaml").write_bytes(ours)
    (tmp_path / "theirs.yaml").write_bytes(theirs)
    expected = sops.decrypt(tmp_path / "theirs.yaml", keys=(age_key,))
    assert sops.decrypt(tmp_path / "ours.yaml", keys=(age_key,)) == expected
    assert api.decrypt(theirs, filename="theirs.yaml", identities=[age_key.secret]) == expected


def test_mac_only_encrypted_tolerates_edits_of_clear_values(age_key: AgeKey) -> None:
    ours = api.encrypt(DOC, recipients=[age_key.recipient], filename="d.yaml", encrypted_suffix="_enc",
                       mac_only_encrypted=True)
    edited = ours.replace(b"user: admin", b"user: root")
    assert b"user: root" in api.decrypt(edited, filename="d.yaml", identities=[age_key.secret])
    strict = api.encrypt(DOC, recipients=[age_key.recipient], filename="d.yaml", encrypted_suffix="_enc")
    from sealer.errors import IntegrityError

    with pytest.raises(IntegrityError):
        api.decrypt(strict.replace(b"user: admin", b"user: root"), filename="d.yaml", identities=[age_key.secret])


def test_two_selectors_are_refused(age_key: AgeKey) -> None:
    from sealer.errors import FormatError

    with pytest.raises(FormatError, match="more than one"):
        api.encrypt(DOC, recipients=[age_key.recipient], filename="d.yaml", encrypted_regex="a", encrypted_suffix="b")
