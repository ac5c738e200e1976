"""docs/cli-reference.md is exactly what docs/gen_cli_reference.py makes from the commands."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "docs" / "gen_cli_reference.py"
REFERENCE = ROOT / "docs" / "cli-reference.md"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_reference", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(generator: ModuleType) -> str:
    text: str = generator.render()
    return text


def test_reference_is_up_to_date(generated: str) -> None:
    assert REFERENCE.read_text() == generated, "run: .venv/bin/python docs/gen_cli_reference.py"


def test_every_command_has_a_section(generated: str) -> None:
    from click import Context, Group

    from sealer.cli.group import cli

    ctx = Context(cli, info_name="sealer")
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None
        assert f"\n### sealer {name}\n" in generated
        if isinstance(command, Group):
            for sub in command.list_commands(Context(command, parent=ctx)):
                assert f"\n### sealer {name} {sub}\n" in generated
    assert "\n## sealer-controller\n" in generated and "\n## sealer-kustomize\n" in generated


def test_check_mode_detects_drift(generator: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "cli-reference.md"
    stale.write_text("# CLI reference\n\nhand-edited\n")
    monkeypatch.setattr(generator, "OUTPUT", stale)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0


def test_check_mode_passes_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
