""".sops.yaml creation rules (found from the working directory upwards) and updatekeys, against sops."""

from __future__ import annotations

import re
from pathlib import Path

from sealer.api import sops as api
from sealer.formats.sops.config import find_config, load_config
from tests.sops.conftest import AgeKey, Sops
from tests.sops.test_cli import sealer

DOC = b"apiVersion: v1\nkind: Secret\ndata:\n    password: aHVudGVyMg==\n    user: YWRtaW4=\n"


def _layout(data: bytes) -> bytes:
    return re.sub(rb"data:[^,]*,iv:[^,]*,tag:[^,]*,", b"X,", data.split(b"\nsops:\n")[0])


def _repo(tmp_path: Path, first: AgeKey, second: AgeKey) -> Path:
    repo = tmp_path / "repo"
    (repo / "apps" / "prod").mkdir(parents=True)
    (repo / "apps" / "dev").mkdir(parents=True)
    (repo / ".sops.yaml").write_text(
        "creation_rules:\n"
        "  - path_regex: prod/.*\\.yaml$\n"
        f"    age: {first.recipient},{second.recipient}\n"
        "    encrypted_regex: ^(data|stringData)$\n"
        "  - path_regex: .*\n"
        f"    age:\n      - {second.recipient}\n"
        "    unencrypted_suffix: _plain\n"
    )
    return repo


def test_first_matching_rule_applies_like_sops(tmp_path: Path, sops: Sops, age_key: AgeKey,
                                               other_age_key: AgeKey) -> None:
    repo = _repo(tmp_path, age_key, other_age_key)
    for relative in ("apps/prod/db.yaml", "apps/dev/db.yaml"):
        path = repo / relative
        path.write_bytes(DOC)
        theirs = sops.run("encrypt", path.name, cwd=path.parent).stdout
        done = sealer(sops.home, "sops", "encrypt", path.name, cwd=path.parent)
        assert done.returncode == 0, done.stderr
        assert _layout(done.stdout) == _layout(theirs)
        assert done.stdout.count(b"recipient:") == theirs.count(b"recipient:")
    prod = load_config(repo / ".sops.yaml").rule_for(str(repo / "apps/prod/db.yaml"))
    assert prod.selectors.encrypted_regex == "^(data|stringData)$" and len(prod.key_groups[0]) == 2
    assert find_config(repo / "apps" / "dev") == repo / ".sops.yaml"


def test_updatekeys_both_ways(tmp_path: Path, sops: Sops, age_key: AgeKey, other_age_key: AgeKey,
                              third_age_key: AgeKey) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    config = repo / ".sops.yaml"
    config.write_text(f"creation_rules:\n  - age: {age_key.recipient}\n")
    ours = repo / "ours.yaml"
    ours.write_bytes(api.encrypt(DOC, filename=str(ours), config=config))
    theirs = repo / "theirs.yaml"
    theirs.write_bytes(DOC)
    sops.run("encrypt", "-i", theirs.name, cwd=repo)

    config.write_text(f"creation_rules:\n  - age: {other_age_key.recipient},{third_age_key.recipient}\n")
    before = ours.read_bytes()
    done = sealer(repo, "sops", "updatekeys", "-y", ours.name, keys=(age_key,), cwd=repo)
    assert done.returncode == 0, done.stderr
    after = ours.read_bytes()
    assert _layout(after) == _layout(before) and _layout(after).count(b"ENC[") >= 2  # values untouched
    assert sops.decrypt(ours, keys=(third_age_key,)) == sops.decrypt(ours, keys=(other_age_key,))
    again = sealer(repo, "sops", "updatekeys", "-y", ours.name, keys=(other_age_key,), cwd=repo)
    assert b"already up to date" in again.stderr

    sops.run("updatekeys", "-y", theirs.name, keys=(age_key,), cwd=repo)
    assert api.decrypt(theirs.read_bytes(), filename="t.yaml", identities=[third_age_key.secret]) == (
        sops.decrypt(theirs, keys=(other_age_key,))
    )


def test_stores_indentation_from_sops_yaml(tmp_path: Path, sops: Sops, age_key: AgeKey) -> None:
    """``stores: {yaml: {indent: 2}, json: {indent: 3}}`` shapes output here exactly as in sops."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".sops.yaml").write_text(
        f"creation_rules:\n  - age: {age_key.recipient}\nstores:\n  yaml:\n    indent: 2\n  json:\n    indent: 3\n"
    )
    (repo / "s.yaml").write_bytes(b"# c\na:\n  b:\n  - x\n  - k: |\n      lit\n")
    (repo / "s.json").write_bytes(b'{"a": {"b": [1, "x"]}}')
    for name in ("s.yaml", "s.json"):
        theirs = sops.run("encrypt", name, cwd=repo).stdout
        ours = sealer(repo, "sops", "encrypt", name, cwd=repo)
        assert ours.returncode == 0, ours.stderr
        assert _layout(ours.stdout).split(b'"sops"')[0] == _layout(theirs).split(b'"sops"')[0]
        (repo / f"enc-{name}").write_bytes(theirs)
        expected = sops.run("decrypt", f"enc-{name}", keys=(age_key,), cwd=repo).stdout
        done = sealer(repo, "sops", "decrypt", f"enc-{name}", keys=(age_key,), cwd=repo)
        assert done.returncode == 0 and done.stdout == expected, done.stderr
    assert b"\n  a:" not in expected and b'\n   "a"' in expected  # three spaces for JSON


def test_rule_settings_apply_with_explicit_recipients_as_in_sops(
    tmp_path: Path, sops: Sops, age_key: AgeKey, other_age_key: AgeKey
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: \\.yaml$\n    age: {age_key.recipient}\n    encrypted_regex: ^password$\n"
    )
    (repo / "s.yaml").write_bytes(b"user: admin\npassword: x\n")
    (repo / "s.txt").write_bytes(b"user: admin\n")
    theirs = sops.run("encrypt", "--age", other_age_key.recipient, "s.yaml", cwd=repo).stdout
    ours = sealer(repo, "sops", "encrypt", "--age", other_age_key.recipient, "s.yaml", cwd=repo)
    assert ours.returncode == 0, ours.stderr
    assert _layout(ours.stdout) == _layout(theirs) and b"user: admin" in ours.stdout
    assert other_age_key.recipient.encode() in ours.stdout and age_key.recipient.encode() not in ours.stdout
    # A config without a rule for the file is an error even with --age, as in sops.
    assert sops.run("encrypt", "--age", age_key.recipient, "s.txt", cwd=repo, check=False).returncode != 0
    refused = sealer(repo, "sops", "encrypt", "--age", age_key.recipient, "s.txt", cwd=repo)
    assert refused.returncode == 3 and b"no creation rule matches" in refused.stderr
