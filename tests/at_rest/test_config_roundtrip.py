"""Rewriting an EncryptionConfiguration in place keeps the user's comments, key order and layout.

Each test states the exact text expected: the user's file with only the lines
the change needs added or removed. The data is checked against the model too:
the output parses (with the project's loader) to what ``config.dumps`` would
have written, and the API server's validation accepts it.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from sealer.api import at_rest
from sealer.cli.main import run
from sealer.encryption_at_rest import config as cfg
from sealer.encryption_at_rest import lifecycle, roundtrip
from sealer.encryption_at_rest.lifecycle import ResourceUsage, Usage
from sealer.encryption_at_rest.validation import validate

A = base64.b64encode(b"a" * 32).decode()
B = base64.b64encode(b"b" * 32).decode()
C = base64.b64encode(b"c" * 32).decode()
D = base64.b64encode(b"d" * 16).decode()

# Unusual key order on purpose: kind before apiVersion, providers before resources, secret before name.
ANNOTATED = f"""\
# EncryptionConfiguration for the prod control plane.
# Runbook: https://wiki.example/enc-rotation (rotate quarterly)
kind: EncryptionConfiguration
apiVersion: apiserver.config.k8s.io/v1
resources:
  - providers:  # the first provider encrypts
      # current keys; the first one encrypts
      - secretbox:
          keys:
            - secret: {A}  # vault: kv/enc/2024q4
              name: key-2024q4
            # previous quarter, kept until rewrite-secrets ran
            - name: key-2024q3
              secret: "{B}"
      # legacy provider from the 2023 setup
      - aescbc:
          keys:
            - name: legacy   # ticket OPS-1234
              secret: {C}
      # plaintext Secrets from before encryption
      - identity: {{}}
    # only Secrets here
    resources:
      - secrets
  - resources: [configmaps]  # ConfigMaps too
    providers:
      - aesgcm:
          keys:
            - name: cm-1
              secret: {D}
# end of file
"""


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _insert(text: str, after: str, block: str, occurrence: int = 0) -> str:
    """``text`` with ``block`` inserted after its ``occurrence``-th line equal to ``after``."""
    lines = _lines(text)
    index = [i for i, line in enumerate(lines) if line == after][occurrence]
    return "".join(lines[: index + 1] + _lines(block) + lines[index + 1 :])


def _without(text: str, *removed: str) -> str:
    """``text`` without the ``removed`` lines, found in this order (so a repeated line goes where it should)."""
    lines = _lines(text)
    start = 0
    for line in removed:
        start = lines.index(line, start)
        del lines[start]
    return "".join(lines)


def _key_block(key: cfg.Key, indent: int = 12) -> str:
    return f"{' ' * indent}- name: {key.name}\n{' ' * (indent + 2)}secret: {key.secret}\n"


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def _check_data(original: str, result: at_rest.ConfigResult, model: cfg.EncryptionConfiguration) -> None:
    """The rewrite holds exactly the model's data (what dumps writes), and the API server would load it."""
    assert cfg.loads(result.data) == cfg.loads(cfg.dumps(model))
    assert validate(cfg.loads(result.data)) == []
    assert at_rest.validate_encryption_config(result.data) == []
    assert roundtrip.NOT_KEPT not in result.warnings
    assert original.encode() != result.data


def test_rotate_puts_the_new_key_first_and_keeps_comments_order_and_quoting() -> None:
    result = at_rest.rotate_encryption_config(ANNOTATED.encode())
    parsed = cfg.loads(result.data)
    first = parsed.resources[0].providers[0].keys[0]
    second = parsed.resources[1].providers[0].keys[0]
    assert first.name.startswith("key-") and first.secret not in (A, B)
    expected = _insert(ANNOTATED, "          keys:\n", _key_block(first))
    expected = _insert(expected, "          keys:\n", _key_block(second), occurrence=2)
    assert result.data.decode() == expected
    before = cfg.loads(ANNOTATED.encode())
    before.resources[0].providers[0].keys.insert(0, first)
    before.resources[1].providers[0].keys.insert(0, second)
    _check_data(ANNOTATED, result, before)


def test_rotate_stage_adds_second_and_promote_moves_it_first_with_the_comments_in_place() -> None:
    staged = at_rest.rotate_encryption_config(ANNOTATED.encode(), stage=True, resource="secrets")
    new = cfg.loads(staged.data).resources[0].providers[0].keys[1]
    assert staged.data.decode() == _insert(ANNOTATED, "              name: key-2024q4\n", _key_block(new))
    model = cfg.loads(ANNOTATED.encode())
    model.resources[0].providers[0].keys.insert(1, new)
    _check_data(ANNOTATED, staged, model)

    promoted = at_rest.promote_encryption_key(staged.data, new.name)
    # The previous quarter's comment stays above key-2024q3, the new key now leads.
    assert promoted.data.decode() == _insert(ANNOTATED, "          keys:\n", _key_block(new))
    _check_data(staged.data.decode(), promoted,
                lifecycle.promote(cfg.loads(staged.data), new.name).config)


def test_promote_moves_a_provider_first_with_its_comment() -> None:
    aesgcm = f"""\
      # staged aesgcm provider
      - aesgcm:
          keys:
            - name: gcm-1  # made by hand
              secret: {D}
"""
    staged = _insert(ANNOTATED, "              secret: \"" + B + "\"\n", aesgcm)
    result = at_rest.promote_encryption_key(staged.encode(), "gcm-1", resource="secrets")
    expected = _insert(ANNOTATED, "  - providers:  # the first provider encrypts\n", aesgcm)
    assert result.data.decode() == expected
    assert _comments(result.data.decode()) != _comments(staged)
    assert sorted(_comments(result.data.decode())) == sorted(_comments(staged))
    _check_data(staged, result, lifecycle.promote(cfg.loads(staged.encode()), "gcm-1", resource="secrets").config)


def test_prune_drops_keys_and_providers_with_their_comments_and_keeps_the_rest() -> None:
    usage = Usage({"secrets": ResourceUsage({("secretbox", "v1", "key-2024q4")}),
                   "configmaps": ResourceUsage({("aesgcm", "v1", "cm-1")})},
                  covered={"secrets", "configmaps"}, all_resources=False, history=True, problems=0)
    result = at_rest.prune_encryption_config(ANNOTATED.encode(), usage=usage)
    expected = _without(
        ANNOTATED,
        "            # previous quarter, kept until rewrite-secrets ran\n",
        "            - name: key-2024q3\n",
        f'              secret: "{B}"\n',
        "      # legacy provider from the 2023 setup\n",
        "      - aescbc:\n",
        "          keys:\n",
        "            - name: legacy   # ticket OPS-1234\n",
        f"              secret: {C}\n",
        "      # plaintext Secrets from before encryption\n",
        "      - identity: {}\n",
    )
    assert result.data.decode() == expected  # "# only Secrets here" stays above resources
    assert any("removed unused aescbc key legacy" in change for change in result.changes)
    _check_data(ANNOTATED, result, lifecycle.prune(cfg.loads(ANNOTATED.encode()), usage).config)


def test_a_provider_switch_and_the_other_list_style_keep_their_layout() -> None:
    compact = f"""\
---
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  # the aescbc key from 2023
  - aescbc:
      keys:
      - name: old
        secret: '{C}'
  - identity: {{}}  # until every Secret was rewritten
"""
    result = at_rest.rotate_encryption_config(compact.encode(), provider="secretbox")
    parsed = cfg.loads(result.data)
    assert [p.kind for p in parsed.resources[0].providers] == ["secretbox", "aescbc", "identity"]
    new = parsed.resources[0].providers[0].keys[0]
    block = f"  - secretbox:\n      keys:\n{_key_block(new, indent=6)}"
    assert result.data.decode() == _insert(compact, "  providers:\n", block)
    model = cfg.loads(compact.encode())
    model.resources[0].providers.insert(0, cfg.Provider("secretbox", keys=[new], present=("secretbox",)))
    _check_data(compact, result, model)


def test_the_rewrite_equals_what_dumps_writes_for_the_same_model() -> None:
    """dumps_into only renders: for every lifecycle step, the data is the model's."""
    original = ANNOTATED.encode()
    before = cfg.loads(original)
    steps = [lifecycle.rotate(before).config, lifecycle.rotate(before, stage=True).config,
             lifecycle.rotate(before, provider="aesgcm", resource="secrets").config,
             lifecycle.promote(before, "key-2024q3").config, lifecycle.promote(before, "legacy").config]
    for model in steps:
        data, lost = roundtrip.dumps_into(original, model)
        assert lost is None
        assert cfg.loads(data) == cfg.loads(cfg.dumps(model)) == model
        assert sorted(_comments(data.decode())) == sorted(_comments(ANNOTATED))


def test_json_input_is_written_as_today() -> None:
    document = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                "resources": [{"resources": ["secrets"], "providers": [
                    {"aescbc": {"keys": [{"name": "old", "secret": C}]}}, {"identity": {}}]}]}
    original = json.dumps(document, indent=2).encode()
    model = lifecycle.rotate(cfg.loads(original)).config
    assert roundtrip.dumps_into(original, model) == (cfg.dumps(model), None)
    result = at_rest.promote_encryption_key(original, "old")
    assert result.data == cfg.dumps(cfg.loads(original))
    assert roundtrip.NOT_KEPT not in result.warnings


def test_crlf_files_stay_crlf() -> None:
    original = ANNOTATED.replace("\n", "\r\n").encode()
    result = at_rest.rotate_encryption_config(original, resource="secrets")
    text = result.data.decode()
    assert "\n" not in text.replace("\r\n", "")
    new = cfg.loads(result.data).resources[0].providers[0].keys[0]
    assert text == _insert(ANNOTATED, "          keys:\n", _key_block(new)).replace("\n", "\r\n")


def test_a_rendering_that_would_change_the_data_falls_back_to_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The safety net: output that does not parse back to the model is never written."""
    real_apply = roundtrip._apply

    def lossy(document: object, before: cfg.EncryptionConfiguration, after: cfg.EncryptionConfiguration) -> None:
        real_apply(document, before, after)  # type: ignore[arg-type]
        del document["resources"][0]["providers"][-1]  # type: ignore[index]

    monkeypatch.setattr(roundtrip, "_apply", lossy)
    result = at_rest.rotate_encryption_config(ANNOTATED.encode())
    assert roundtrip.NOT_KEPT in result.warnings
    parsed = cfg.loads(result.data)
    assert [p.kind for p in parsed.resources[0].providers] == ["secretbox", "aescbc", "identity"]
    assert result.data.startswith(b"---\napiVersion:")  # dumps' own layout
    assert A not in " ".join(result.warnings + result.changes)


def test_cli_rotate_in_place_keeps_comments_writes_0600_and_prints_no_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "enc.yaml"
    path.write_text(ANNOTATED)
    os.chmod(path, 0o644)
    assert run(["encryption-config", "rotate", str(path), "--only-resource", "secrets"]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    new = cfg.loads(text.encode()).resources[0].providers[0].keys[0]
    assert text == _insert(ANNOTATED, "          keys:\n", _key_block(new))
    err = capsys.readouterr().err
    assert new.secret not in err and A not in err and "could not keep" not in err
    assert run(["encryption-config", "validate", str(path)]) == 0


WIDE = f"""\
# header above the document start (ruamel alone would drop it)

---
# below it
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
    -   resources: ["secrets"]
        providers:
            -   aescbc:
                    keys:
                        -   name: a  # first
                            secret: {C}
"""


def test_a_header_above_the_start_marker_and_wide_indentation_survive() -> None:
    result = at_rest.rotate_encryption_config(WIDE.encode())
    new = cfg.loads(result.data).resources[0].providers[0].keys[0]
    block = f"                        -   name: {new.name}\n                            secret: {new.secret}\n"
    assert result.data.decode() == _insert(WIDE, "                    keys:\n", block)
    model = cfg.loads(WIDE.encode())
    model.resources[0].providers[0].keys.insert(0, new)
    _check_data(WIDE, result, model)


SHARED = f"""\
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: &shared
      - aescbc:
          keys:
            - name: new
              secret: {A}
            - name: old
              secret: {B}
      - identity: {{}}
  - resources: [configmaps]
    providers: *shared
"""


def test_an_aliased_provider_list_pruned_differently_per_entry_falls_back_instead_of_crashing() -> None:
    # Secrets no longer need identity, ConfigMaps still do: one YAML node cannot hold both lists.
    usage = Usage({"secrets": ResourceUsage({("aescbc", "v1", "new")}),
                   "configmaps": ResourceUsage({("aescbc", "v1", "new")}, plaintext=3)},
                  covered={"secrets", "configmaps"}, all_resources=True, history=True, problems=0)
    model = lifecycle.prune(cfg.loads(SHARED.encode()), usage).config
    assert [p.kind for p in model.resources[0].providers] == ["aescbc"]
    assert [p.kind for p in model.resources[1].providers] == ["aescbc", "identity"]
    result = at_rest.prune_encryption_config(SHARED.encode(), usage=usage)
    assert cfg.loads(result.data) == model
    assert roundtrip.NOT_KEPT in result.warnings


def test_an_aliased_provider_list_pruned_alike_keeps_the_alias_and_comments() -> None:
    usage = Usage({"secrets": ResourceUsage({("aescbc", "v1", "new")}),
                   "configmaps": ResourceUsage({("aescbc", "v1", "new")})},
                  covered={"secrets", "configmaps"}, all_resources=True, history=True, problems=0)
    result = at_rest.prune_encryption_config(SHARED.encode(), usage=usage)
    expected = _without(SHARED, "            - name: old\n", f"              secret: {B}\n",
                        "      - identity: {}\n")
    assert result.data.decode() == expected
    _check_data(SHARED, result, lifecycle.prune(cfg.loads(SHARED.encode()), usage).config)
