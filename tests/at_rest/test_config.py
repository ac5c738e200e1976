"""EncryptionConfiguration: strict parsing, the API server's validation rules (must-fail cases), lifecycle, CLI."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from sealer.cli.main import run
from sealer.encryption_at_rest import config as cfg
from sealer.encryption_at_rest import lifecycle
from sealer.encryption_at_rest.lifecycle import ResourceUsage, Usage
from sealer.encryption_at_rest.validation import advise, validate
from sealer.errors import FormatError, InputError

K32 = base64.b64encode(b"k" * 32).decode()
K16 = base64.b64encode(b"k" * 16).decode()


def doc(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                       "resources": list(entries)}).encode()


def entry(resources: list[str], *providers: dict[str, Any]) -> dict[str, Any]:
    return {"resources": resources, "providers": list(providers)}


SB = {"secretbox": {"keys": [{"name": "k1", "secret": K32}]}}
KMS2 = {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///run/kms.sock"}}


def errors_of(data: bytes, **kwargs: bool) -> str:
    return "; ".join(map(str, validate(cfg.loads(data), **kwargs)))


def test_strict_decoding_rejects_unknown_and_duplicate_fields() -> None:
    typo = doc(entry(["secrets"], {"kms": {**KMS2["kms"], "pandas": "are the best"}}))
    with pytest.raises(FormatError, match=r'unknown field "resources\[0\].providers\[0\].kms.pandas"'):
        cfg.loads(typo)
    with pytest.raises(FormatError, match="not an EncryptionConfiguration"):
        cfg.loads(b"apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(FormatError):
        cfg.loads(b"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nkind: X\n")
    with pytest.raises(FormatError, match="empty"):
        cfg.loads(b"  \n")
    with pytest.raises(FormatError, match="timeout"):
        cfg.loads(doc(entry(["secrets"], {"kms": {**KMS2["kms"], "timeout": "3 seconds"}})))



@pytest.mark.parametrize("timeout", ["3000000h", "9223372036854775808ns", "-9223372036854775809ns", "--3s", "+-3s",
                                     "1h-30m"])
def test_a_kms_timeout_go_refuses_is_refused_as_the_api_server_does(timeout: str) -> None:
    """time.ParseDuration takes one leading sign at most and at most 2^63-1 ns (about 292 years)."""
    with pytest.raises(FormatError, match=re.escape(f'timeout: time: invalid duration "{timeout}"')):
        cfg.loads(doc(entry(["secrets"], {"kms": {**KMS2["kms"], "timeout": timeout}})))
    assert cfg.parse_duration("2562047h47m16.854775807s") > 0  # the longest Go duration still parses


def test_parse_duration_gives_seconds_and_takes_the_text_as_the_api_server_does() -> None:
    """The grammar's table is tests/unit/test_go_duration.py; here: seconds, wording, no trimming."""
    assert cfg.parse_duration("3s") == 3.0
    assert cfg.parse_duration("1m30s") == 90.0
    assert cfg.parse_duration("250ms") == 0.25
    assert cfg.parse_duration("-0") == 0.0
    assert cfg.parse_duration("-9223372036854775808ns") == -9223372036.854775808
    with pytest.raises(InputError, match=r"invalid duration '1d' \(units are ns"):
        cfg.parse_duration("1d")
    with pytest.raises(InputError, match=r"invalid duration '9223372036854775808ns' \(.*292 years"):
        cfg.parse_duration("9223372036854775808ns")
    for padded in (" 3s", "3s ", "3s\n"):  # Go does not trim, so neither do we
        with pytest.raises(InputError, match="invalid duration"):
            cfg.parse_duration(padded)
    with pytest.raises(FormatError, match=re.escape('timeout: time: invalid duration "3s "')):
        cfg.loads(doc(entry(["secrets"], {"kms": {**KMS2["kms"], "timeout": "3s "}})))


VALID = [
    doc(entry(["secrets"], SB, {"identity": {}})),
    doc(entry(["secrets", "configmaps"], {"aesgcm": {"keys": [{"name": "a", "secret": K16}]}})),
    doc(entry(["*.apps", "secrets"], {"aescbc": {"keys": [{"name": "a", "secret": K32}]}})),
    doc(entry(["secrets"], KMS2, SB), entry(["*.*"], {"identity": {}})),
    doc(entry(["secrets"], {**KMS2, }), entry(["configmaps"], {"kms": {**KMS2["kms"], "name": "other",
                                                                       "timeout": "1m30s"}})),
]


@pytest.mark.parametrize("data", VALID)
def test_valid_configurations(data: bytes) -> None:
    assert errors_of(data) == ""
    assert cfg.loads(cfg.dumps(cfg.loads(data))) == cfg.loads(data)  # our output re-reads identically


MUST_FAIL = [
    (doc(), "at least one resources is required"),
    (doc(entry([], SB)), "at least one resources[0].resources is required"),
    (doc(entry(["secrets"])), "at least one resources[0].providers is required"),
    (doc(entry(["Secrets"], SB)), "should not contain capital letters"),
    (doc(entry(["*"], SB)), "use '*.' to encrypt all the resources from core API group"),
    (doc(entry(["serviceipallocations"], SB)), "do not have REST API/s"),
    (doc(entry(["*.events.k8s.io"], SB)), "Use 'events' instead"),
    (doc(entry(["deployments.extensions"], SB)), "'extensions' group has been removed"),
    (doc(entry(["secrets.*"], SB)), "same resource across groups is not supported"),
    (doc(entry(["secrets", "secrets"], SB)), "cannot be specified multiple times"),
    (doc(entry(["secrets", "*."], SB)), "overlapping resources"),
    (doc(entry(["*."], SB), entry(["secrets"], SB)), 'resource "secrets" is masked by earlier rule "*."'),
    (doc(entry(["*.*"], SB), entry(["deployments.apps"], SB)), 'masked by earlier rule "*.*"'),
    (doc(entry(["secrets"], {**SB, "identity": {}})), "more than one provider specified in a single element"),
    (doc(entry(["secrets"], {})), "does not contain any of the expected providers"),
    (doc(entry(["secrets"], {"aesgcm": {"keys": []}})), "at least one keys is required"),
    (doc(entry(["secrets"], {"aesgcm": {"keys": None}})), "at least one keys is required"),
    (doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "", "secret": K32}]}})), "name is a mandatory field"),
    (doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "a", "secret": ""}]}})), "secret is a mandatory field"),
    (doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "a", "secret": "not base64!"}]}})), "base64 encoded"),
    (doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "a", "secret": base64.b64encode(b"x" * 20).decode()}]}})),
     "got 20, expected one of [16, 24, 32]"),
    (doc(entry(["secrets"], {"secretbox": {"keys": [{"name": "a", "secret": K16}]}})), "got 16, expected one of [32]"),
    (doc(entry(["secrets"], {"secretbox": {"keys": [{"name": "a", "secret": K32}, {"name": "a", "secret": K32}]}})),
     "key names must be unique"),
    (doc(entry(["secrets"], {"kms": {"apiVersion": "v2", "endpoint": "unix:///s"}})), "name is a mandatory field"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "name": "a:b"}})), "must not contain ':'"),
    (doc(entry(["secrets"], KMS2), entry(["configmaps"], KMS2)), "duplicate KMS provider name vault"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "endpoint": ""}})), "endpoint is a mandatory field"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "endpoint": "tcp://10.0.0.1:80"}})), 'unsupported scheme "tcp"'),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "timeout": "0s"}})), "timeout should be a positive value"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "timeout": "-1s"}})), "timeout should be a positive value"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "cachesize": 10}})), "cachesize is not supported in v2"),
    (doc(entry(["secrets"], {"kms": {**KMS2["kms"], "apiVersion": "v3"}})), "only v1 and v2 are supported"),
    (doc(entry(["secrets"], {"kms": {"name": "old", "endpoint": "unix:///s"}})), "KMSv1 is deprecated"),
]


@pytest.mark.parametrize(("data", "message"), MUST_FAIL, ids=[m for _, m in MUST_FAIL])
def test_must_fail(data: bytes, message: str) -> None:
    assert message in errors_of(data)


def test_kms_v1_rules_with_the_feature_gate() -> None:
    v1 = {"kms": {"name": "old", "endpoint": "unix:///s", "cachesize": 100}}
    assert errors_of(doc(entry(["secrets"], v1)), kms_v1_enabled=True) == ""
    assert "cachesize should be a positive value" in errors_of(
        doc(entry(["secrets"], {"kms": {**v1["kms"], "cachesize": 0}})), kms_v1_enabled=True)
    twice = doc(entry(["secrets"], v1), entry(["configmaps"], v1))
    assert errors_of(twice, kms_v1_enabled=True) == ""  # v1 names need be unique only with reload
    assert "duplicate KMS provider name" in errors_of(twice, kms_v1_enabled=True, reload=True)


def test_validation_messages_never_contain_key_material() -> None:
    bad = base64.b64encode(b"topsecretkeybytes!!!").decode()
    text = errors_of(doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "a", "secret": bad}]}})))
    assert "REDACTED" in text and bad not in text


@pytest.mark.parametrize("provider", ["secretbox", "aesgcm", "aescbc"])
def test_generate_each_local_provider(provider: str) -> None:
    made = lifecycle.generate(provider=provider, resources=["secrets", "configmaps"], from_plaintext=True)
    parsed = cfg.loads(cfg.dumps(made.config))
    assert validate(parsed) == []
    providers = parsed.resources[0].providers
    assert [p.kind for p in providers] == [provider, "identity"]
    assert len(providers[0].keys[0].material()) == 32
    assert bool(made.warnings) == (provider != "secretbox")
    if provider == "aescbc":
        assert "padding oracle" in made.warnings[0]
    if provider == "aesgcm":
        assert "200,000 writes" in made.warnings[0]


def test_generate_key_sizes_and_kms() -> None:
    for size in (16, 24, 32):
        made = lifecycle.generate(provider="aesgcm", key_size=size)
        assert len(made.config.resources[0].providers[0].keys[0].material()) == size
    for provider, size in (("aesgcm", 31), ("aescbc", 64), ("secretbox", 16)):
        with pytest.raises(InputError, match="bytes"):
            lifecycle.generate(provider=provider, key_size=size)
    made = lifecycle.generate(provider="kms", kms_name="vault", kms_endpoint="unix:///run/kms.sock")
    assert cfg.to_document(made.config)["resources"][0]["providers"] == [
        {"kms": {"apiVersion": "v2", "name": "vault", "endpoint": "unix:///run/kms.sock"}}]
    with pytest.raises(InputError, match="must not contain ':'"):
        lifecycle.generate(provider="kms", kms_name="a:b", kms_endpoint="unix:///s")
    with pytest.raises(InputError, match=r"masked|overlapping"):
        lifecycle.generate(resources=["secrets", "*."])
    assert advise(lifecycle.generate(resources=["configmaps"]).config) == [
        "no entry covers secrets: Secrets will be stored unencrypted"]


def test_rotate_stage_promote_switch() -> None:
    base = lifecycle.generate(provider="aescbc", from_plaintext=True, key_name="key1").config
    rotated = lifecycle.rotate(base).config
    keys = rotated.resources[0].providers[0].keys
    assert [k.name for k in keys][1:] == ["key1"] and keys[0].name.startswith("key-")
    staged_config = lifecycle.rotate(base, stage=True).config
    staged = staged_config.resources[0].providers[0].keys
    assert staged[0].name == "key1" and len(staged) == 2
    promoted = lifecycle.promote(staged_config, staged[1].name)
    assert [k.name for k in promoted.config.resources[0].providers[0].keys] == [staged[1].name, "key1"]
    switched = lifecycle.rotate(base, provider="secretbox").config.resources[0].providers
    assert [p.kind for p in switched] == ["secretbox", "aescbc", "identity"]
    assert promoted.changes and "now encrypts new writes" in promoted.changes[0]
    with pytest.raises(InputError, match="no key named"):
        lifecycle.promote(base, "nope")
    identity_first = cfg.loads(doc(entry(["secrets"], {"identity": {}}, SB)))
    with pytest.raises(InputError, match="--provider"):
        lifecycle.rotate(identity_first)
    assert [p.kind for p in lifecycle.rotate(identity_first, provider="secretbox").config.resources[0].providers] \
        == ["secretbox", "identity", "secretbox"]


def _usage(encodings: set[tuple[str, str | None, str | None]], plaintext: int = 0, **kw: Any) -> Usage:
    fields: dict[str, Any] = {"covered": {"secrets"}, "all_resources": False, "history": True, "problems": 0}
    fields.update(kw)
    return Usage({"secrets": ResourceUsage(encodings, plaintext)}, **fields)


def test_prune_removes_only_what_nothing_uses() -> None:
    two_keys = [{"name": "new", "secret": K32}, {"name": "mid", "secret": K32}]
    config = cfg.loads(doc(entry(["secrets"],
                                 {"secretbox": {"keys": two_keys}},
                                 {"aescbc": {"keys": [{"name": "old", "secret": K32}]}},
                                 KMS2, {"identity": {}})))
    pruned = lifecycle.prune(config, _usage({("secretbox", "v1", "mid")}))
    kinds = [(p.kind, [k.name for k in p.keys]) for p in pruned.config.resources[0].providers]
    assert kinds == [("secretbox", ["new", "mid"])]
    assert any("removed unused aescbc key old" in c for c in pruned.changes)
    kept = lifecycle.prune(config, _usage({("aescbc", "v1", "old"), ("kms", "v2", "vault")}, plaintext=1))
    assert [p.kind for p in kept.config.resources[0].providers] == ["secretbox", "aescbc", "kms", "identity"]
    with pytest.raises(InputError, match="old revisions"):
        lifecycle.prune(config, _usage(set(), history=False))
    with pytest.raises(InputError, match="could not read"):
        lifecycle.prune(config, _usage(set(), problems=2))
    uncovered = lifecycle.prune(config, _usage(set(), covered=set()))
    assert uncovered.config == config and "did not cover secrets" in uncovered.changes[0]


def test_cli_generate_writes_0600_and_never_prints_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                           ) -> None:
    out = tmp_path / "enc.yaml"
    assert run(["encryption-config", "generate", "-o", str(out), "--from-plaintext"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    secret = cfg.loads(out.read_bytes()).resources[0].providers[0].keys[0].secret
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err and "wrote" in captured.err
    assert run(["encryption-config", "generate"]) == 2  # neither -o nor --stdout
    assert run(["encryption-config", "generate", "--stdout", "--provider", "aesgcm", "--key-size", "16"]) == 0
    printed = capsys.readouterr()
    assert cfg.loads(printed.out.encode()).resources[0].providers[0].kind == "aesgcm"
    assert "200,000" in printed.err
    assert run(["encryption-config", "generate", "-o", str(tmp_path / "x"), "--provider", "secretbox",
                "--key-size", "16"]) == 3
    assert not (tmp_path / "x").exists()
    assert run(["encryption-config", "validate", str(out)]) == 0
    (tmp_path / "bad.yaml").write_bytes(doc(entry(["secrets", "*."], SB)))
    assert run(["encryption-config", "validate", str(tmp_path / "bad.yaml")]) == 3
    assert "overlapping" in capsys.readouterr().err


def test_cli_rotate_in_place_and_prune_from_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "enc.yaml"
    path.write_bytes(doc(entry(["secrets"], {"aescbc": {"keys": [{"name": "old", "secret": K32}]}})))
    os.chmod(path, 0o644)
    assert run(["encryption-config", "rotate", str(path), "--provider", "secretbox"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rotated = cfg.loads(path.read_bytes())
    new_name = rotated.resources[0].providers[0].keys[0].name
    assert [p.kind for p in rotated.resources[0].providers] == ["secretbox", "aescbc"]
    report = {"kind": "SealerEtcdAudit", "coveredResources": ["secrets"], "allResources": False, "history": True,
              "items": [{"key": "/registry/secrets/a/b", "resource": "secrets", "revision": 9, "current": True,
                         "provider": "secretbox", "key_name": new_name, "status": "ok", "verified": True,
                         "detail": ""}]}
    (tmp_path / "audit.json").write_text(json.dumps(report))
    assert run(["encryption-config", "rotate", str(path), "--prune", "--audit-report",
                str(tmp_path / "audit.json")]) == 0
    assert [p.kind for p in cfg.loads(path.read_bytes()).resources[0].providers] == ["secretbox"]
    assert "removed unused aescbc key old" in capsys.readouterr().err
