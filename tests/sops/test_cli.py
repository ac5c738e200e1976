"""The ``sealer sops`` and ``sealer age-keygen`` commands as users run them, against the real sops.

Each failure must exit with its status, name the file, and print no plaintext.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sops.conftest import AgeKey, Sops

SEALER = Path(sys.executable).with_name("sealer")
SECRET = b"hunter2-very-secret"
DOC = b"kind: Secret\n# a comment\npassword: " + SECRET + b"\nport: 5432\nnote_unencrypted: clear\n"


def sealer(home: Path, *args: str, keys: tuple[AgeKey, ...] = (), stdin: bytes | None = None,
           extra: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg")}
    if keys:
        keys_file = home / "sealer-keys.txt"
        keys_file.write_text("".join(k.secret + "\n" for k in keys))
        env["SOPS_AGE_KEY_FILE"] = str(keys_file)
    env.update(extra or {})
    return subprocess.run([str(SEALER), *args], input=stdin, capture_output=True, env=env, cwd=cwd or home, timeout=60)


@pytest.fixture
def sops_file(tmp_path: Path, sops: Sops, age_key: AgeKey) -> Path:
    source = tmp_path / "secret.yaml"
    source.write_bytes(DOC)
    encrypted = tmp_path / "enc.yaml"
    encrypted.write_bytes(sops.encrypt(source, recipients=(age_key,)))
    return encrypted


def test_encrypt_in_place_decrypt_to_output_and_extract(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    path = tmp_path / "secret.yaml"
    path.write_bytes(DOC)
    done = sealer(sops.home, "sops", "encrypt", "--age", age_key.recipient, "-i", str(path))
    assert done.returncode == 0, done.stderr
    assert SECRET not in path.read_bytes() and b"ENC[AES256_GCM" in path.read_bytes()
    assert sops.decrypt(path, keys=(age_key,)) == sops.decrypt(path, keys=(age_key,))  # MAC verified by sops

    out = tmp_path / "plain.yaml"
    done = sealer(sops.home, "sops", "decrypt", "--output", str(out), str(path), keys=(age_key,))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == sops.decrypt(path, keys=(age_key,))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    extracted = sealer(sops.home, "sops", "decrypt", "--extract", '["password"]', str(path), keys=(age_key,))
    assert extracted.stdout == sops.run("decrypt", "--extract", '["password"]', str(path), keys=(age_key,)).stdout
    as_json = sealer(sops.home, "sops", "decrypt", "--output-type", "json", str(path), keys=(age_key,))
    assert as_json.stdout == sops.run("decrypt", "--output-type", "json", str(path), keys=(age_key,)).stdout


def test_mac_mismatch_exits_5_naming_the_file(sops_file: Path, sops: Sops, age_key: AgeKey) -> None:
    sops_file.write_bytes(sops_file.read_bytes().replace(b"note_unencrypted: clear", b"note_unencrypted: changed"))
    assert sops.run("decrypt", str(sops_file), keys=(age_key,), check=False).returncode != 0  # sops agrees
    done = sealer(sops.home, "sops", "decrypt", str(sops_file), keys=(age_key,))
    assert done.returncode == 5
    assert str(sops_file).encode() in done.stderr and b"edited or merged by hand" in done.stderr
    assert SECRET not in done.stderr + done.stdout and b"Traceback" not in done.stderr


def test_wrong_or_missing_identity_exits_6_listing_recipients(
    sops_file: Path, sops: Sops, age_key: AgeKey, other_age_key: AgeKey
) -> None:
    wrong = sealer(sops.home, "sops", "decrypt", str(sops_file), keys=(other_age_key,))
    missing = sealer(sops.home, "sops", "decrypt", str(sops_file))
    for done in (wrong, missing):
        assert done.returncode == 6, done.stderr
        assert age_key.recipient.encode() in done.stderr and str(sops_file).encode() in done.stderr
        assert SECRET not in done.stderr + done.stdout and b"Traceback" not in done.stderr
    assert b"none of the age identities fits" in wrong.stderr
    assert b"no age identity was found" in missing.stderr


def test_not_sops_or_malformed_exits_3(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    cases = {
        "plain.yaml": DOC,
        "broken.yaml": b"password: " + SECRET + b"\n  bad: [indent\n",
        "broken.json": b'{"password": "' + SECRET + b'",',
        "plain.env": b"PASSWORD=" + SECRET + b"\n",
        "noequals.env": SECRET + b"\n",
        "blob.bin": SECRET,
    }
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        done = sealer(sops.home, "sops", "decrypt", str(path), keys=(age_key,))
        assert done.returncode == 3, (name, done.stderr)
        assert str(path).encode() in done.stderr, name
        assert SECRET not in done.stderr + done.stdout and b"Traceback" not in done.stderr, name


def test_tampered_ciphertext_exits_4_naming_the_path(sops_file: Path, sops: Sops, age_key: AgeKey) -> None:
    content = sops_file.read_bytes()
    start = content.index(b"password: ENC[AES256_GCM,data:") + len(b"password: ENC[AES256_GCM,data:")
    flipped = b"A" if content[start : start + 1] != b"A" else b"B"
    sops_file.write_bytes(content[:start] + flipped + content[start + 1 :])
    done = sealer(sops.home, "sops", "decrypt", str(sops_file), keys=(age_key,))
    assert done.returncode == 4, done.stderr
    assert b"password" in done.stderr and str(sops_file).encode() in done.stderr
    assert SECRET not in done.stderr


def test_sops_set_and_rotate_on_our_file_and_ours_on_sops_file(
    tmp_path: Path, sops: Sops, age_key: AgeKey, other_age_key: AgeKey, sops_file: Path
) -> None:
    ours = tmp_path / "ours.yaml"
    ours.write_bytes(DOC)
    assert sealer(sops.home, "sops", "encrypt", "--age", age_key.recipient, "-i", str(ours)).returncode == 0
    # sops edits our file ...
    sops.run("set", str(ours), '["password"]', '"from-sops"', keys=(age_key,))
    sops.run("rotate", "-i", "--add-age", other_age_key.recipient, str(ours), keys=(age_key,))
    done = sealer(sops.home, "sops", "decrypt", "--extract", '["password"]', str(ours), keys=(other_age_key,))
    assert done.returncode == 0 and done.stdout == b"from-sops", done.stderr
    # ... and we edit sops' file.
    for edit in (("set", '["password"]', '"from-us"'), ("set", '["new"]["nested"]', "42"), ("unset", '["port"]')):
        assert sealer(sops.home, "sops", edit[0], str(sops_file), *edit[1:], keys=(age_key,)).returncode == 0
    done = sealer(sops.home, "sops", "rotate", "-i", "--add-age", other_age_key.recipient, "--rm-age",
                  age_key.recipient, str(sops_file), keys=(age_key,))
    assert done.returncode == 0, done.stderr
    plain = sops.decrypt(sops_file, keys=(other_age_key,))
    assert b"password: from-us" in plain and b"nested: 42" in plain and b"port" not in plain
    assert sops.run("decrypt", str(sops_file), keys=(age_key,), check=False).returncode != 0  # removed recipient


def test_edit_uses_a_private_temp_file_and_keeps_unchanged_ciphertexts(
    sops_file: Path, sops: Sops, age_key: AgeKey, tmp_path: Path
) -> None:
    record = tmp_path / "editor-saw.txt"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import os, stat, sys\n"
        "p = sys.argv[1]\n"
        f"open({str(record)!r}, 'w').write(p + ' ' + oct(stat.S_IMODE(os.stat(p).st_mode)))\n"
        "data = open(p).read().replace('port: 5432', 'port: 6543')\n"
        "open(p, 'w').write(data)\n"
    )
    before = sops_file.read_bytes()
    done = sealer(sops.home, "sops", "edit", str(sops_file), keys=(age_key,),
                  extra={"EDITOR": f"{sys.executable} {editor}"})
    assert done.returncode == 0, done.stderr
    temp_path, mode = record.read_text().split()
    assert mode == "0o600" and not Path(temp_path).exists()
    after = sops_file.read_bytes()
    assert b"port: 6543" in sops.decrypt(sops_file, keys=(age_key,))
    # Untouched values keep their ciphertext (sops' IV stash), so diffs stay small.
    line = next(x for x in before.splitlines() if x.startswith(b"password:"))
    assert line in after.splitlines()


def test_age_keygen_leaves_no_file_when_the_write_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A failed write (disk full) removes the claimed name: no empty or half-written key file stays behind."""
    from sealer import atomic_write
    from sealer.cli.main import run

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write, "atomic_write", disk_full)
    key_file = tmp_path / "keys.txt"
    with pytest.raises(OSError, match="No space left"):
        run(["age-keygen", "-o", str(key_file)])
    assert not key_file.exists() and list(tmp_path.iterdir()) == []
    assert "AGE-SECRET-KEY" not in capsys.readouterr().err


def test_age_keygen_file_is_private_and_usable_by_sops(tmp_path: Path, sops: Sops) -> None:
    key_file = tmp_path / "keys.txt"
    done = sealer(sops.home, "age-keygen", "-o", str(key_file))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = done.stderr.decode().split("Public key: ")[1].strip()
    assert sealer(sops.home, "age-keygen", "-y", str(key_file)).stdout.decode().strip() == public
    assert sealer(sops.home, "age-keygen", "-o", str(key_file)).returncode != 0  # never overwrites
    lines = key_file.read_text().splitlines()
    assert lines[0].startswith("# created: ") and lines[1] == f"# public key: {public}"
    assert lines[2].startswith("AGE-SECRET-KEY-1")

    source = tmp_path / "s.json"
    source.write_text('{"a": "b"}')
    encrypted = sealer(sops.home, "sops", "encrypt", "--age", public, str(source)).stdout
    (tmp_path / "s.enc.json").write_bytes(encrypted)
    result = sops.run("decrypt", str(tmp_path / "s.enc.json"), extra={"SOPS_AGE_KEY_FILE": str(key_file)})
    assert result.stdout == b'{\n\t"a": "b"\n}\n'


def test_edit_creates_a_new_file_from_the_creation_rule(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    (tmp_path / ".sops.yaml").write_text(f"creation_rules:\n  - age: {age_key.recipient}\n")
    editor = tmp_path / "editor.py"
    editor.write_text("import sys\nopen(sys.argv[1], 'w').write('token: new-secret\\n')\n")
    target = tmp_path / "new.yaml"
    done = sealer(sops.home, "sops", "edit", str(target), extra={"EDITOR": f"{sys.executable} {editor}"},
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"new-secret" not in target.read_bytes()
    assert sops.decrypt(target, keys=(age_key,)) == b"token: new-secret\n"
    # An editor that fails leaves the file as it was.
    before = target.read_bytes()
    failing = sealer(sops.home, "sops", "edit", str(target), keys=(age_key,),
                     extra={"EDITOR": f"{sys.executable} -c 'raise SystemExit(3)'"})
    assert failing.returncode != 0 and target.read_bytes() == before
