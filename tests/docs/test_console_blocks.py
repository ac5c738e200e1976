"""The docs' shell sessions: the ones that can run here do, and succeed; the others are checked.

Blocks that need a cluster, the network or a container engine are skipped explicitly (one
reported skip per block). For every block, run or not, each ``sealer`` command line is checked
against the real click command tree (verbs and flags exist), and each ``helm install|upgrade``
of charts/sealer has its ``--set`` values rendered through the chart (its values schema refuses
unknown or ill-typed keys).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import helm_python as helm
import pytest

from sealer.cli.group import cli
from tests.docs.console_blocks import Block, blocks

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DOCUMENTS = [
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "docker" / "README.md",
    ROOT / "charts" / "sealer" / "README.md",
]
ALL_BLOCKS = [b for doc in DOCUMENTS if doc.exists() for b in blocks(doc)]
RUNNABLE_DOCS = sorted({b.path for b in ALL_BLOCKS if b.runs_here})
STEP = "@@docs-test-step@@"


def _environment(home: Path) -> dict[str, str]:
    """A clean environment: this venv first on PATH, a scratch HOME, no cluster, no age keys."""
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "KUBECONFIG": str(home / "no-such-kubeconfig"),
        "LANG": "C.UTF-8",
        "REPO": str(ROOT),
        "TERM": "dumb",
        "COLUMNS": "100",
    }
    return env


def _script(doc_blocks: list[Block]) -> str:
    """One bash script for a document's blocks; each command line must succeed as a whole.

    Not ``set -e``: bash ignores a failure inside ``a && b`` and under ``!`` there, so checks
    written as ``test ... && echo ok`` could never fail. The status of each whole command line
    is checked instead; ``cmd || echo ...`` is how a block shows an expected failure.
    """
    lines = ["set -uo pipefail"]
    for block in doc_blocks:
        if block.marker == "in-repo":
            lines.append('pushd "$REPO" >/dev/null')
        for n, command in enumerate(block.commands, 1):
            lines.append(f"printf '%s\\n' {shlex.quote(f'{STEP} {block.id} command {n}')} >&2")
            lines.append(command)
            lines.append('rc=$?; if [ "$rc" -ne 0 ]; then exit "$rc"; fi')
        if block.marker == "in-repo":
            lines.append("popd >/dev/null")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("doc", RUNNABLE_DOCS, ids=[str(d.relative_to(ROOT)) for d in RUNNABLE_DOCS])
def test_runnable_blocks_succeed(doc: Path, tmp_path: Path) -> None:
    doc_blocks = [b for b in ALL_BLOCKS if b.path == doc and b.runs_here]
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "home").mkdir()
    # Its own session, so that anything a block leaves running in the background (a local
    # controller, an emulator) is stopped with it, by process group. Output goes to files, not
    # pipes: a background process holding a pipe open would keep us waiting for its end.
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            ["bash", "-c", _script(doc_blocks)],
            cwd=work,
            env=_environment(tmp_path / "home"),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        try:
            returncode = process.wait(timeout=240)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    result = subprocess.CompletedProcess(process.args, returncode, out_path.read_text(), err_path.read_text())
    if result.returncode != 0:
        steps = [line for line in result.stderr.splitlines() if line.startswith(STEP)]
        where = steps[-1].removeprefix(STEP).strip() if steps else "before the first command"
        tail = result.stderr.split(steps[-1])[-1] if steps else result.stderr
        pytest.fail(f"{where} failed (exit {result.returncode}):\n{tail[-3000:]}")


SKIPPED = [b for b in ALL_BLOCKS if not b.runs_here]


@pytest.mark.parametrize("block", SKIPPED, ids=[b.id for b in SKIPPED])
def test_blocks_that_cannot_run_here(block: Block) -> None:
    pytest.skip(f"{block.id}: {block.skip_reason}")


# --------------------------------------------------------------------------- static checks


def _segments(command: str) -> list[list[str]]:
    """Simple commands of a shell line (split on pipes, && and ;), heredoc bodies dropped."""
    first_line_continued = command.split("\n")
    text = first_line_continued[0]
    if not re.search(r"<<-?\s*['\"]?\w+", text):
        text = " ".join(first_line_continued)
    words = shlex.split(text.replace("$(", " ").replace(")", " "), comments=True)
    out: list[list[str]] = [[]]
    for word in words:
        if word in ("|", "&&", "||", ";"):
            out.append([])
        else:
            out[-1].append(word)
    return [s for s in out if s]


def _check_sealer(argv: list[str], where: str) -> None:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="sealer")
    rest = argv[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"{where}: `sealer {rest[0]}` is not a command"
        command, rest = sub, rest[1:]
        ctx = click.Context(command, info_name=command.name, parent=ctx)
    known = {opt for p in command.params for opt in [*p.opts, *p.secondary_opts]} | {"-h", "--help"}
    if command.name == "seal":  # parsed without click, from its own option table
        from sealer.cli.seal import OPTIONS

        known = {f"--{o.long}" for o in OPTIONS} | {f"-{o.short}" for o in OPTIONS if o.short} | {"-h", "--help"}
    for word in rest:
        if word == "--":
            break
        if word.startswith("-") and word != "-":
            flag = word.split("=", 1)[0]
            assert flag in known, f"{where}: `{command.name}` has no option {flag} (it has {sorted(known)})"


def test_sealer_commands_in_docs_exist() -> None:
    checked = 0
    for block in ALL_BLOCKS:
        for command in block.commands:
            for argv in _segments(command):
                if argv[0] == "sealer":
                    _check_sealer(argv, block.id)
                    checked += 1
    assert checked > 0


def _helm_sets(argv: list[str]) -> list[str]:
    sets = []
    for i, word in enumerate(argv):
        if word == "--set":
            sets.append(argv[i + 1])
        elif word.startswith("--set="):
            sets.append(word.split("=", 1)[1])
    return sets


def _deep_merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def test_helm_commands_in_docs_use_real_values() -> None:
    checked = 0
    with helm.Chart.load(ROOT / "charts" / "sealer") as chart:
        for block in ALL_BLOCKS:
            for command in block.commands:
                for argv in _segments(command):
                    if argv[:2] not in (["helm", "install"], ["helm", "upgrade"]):
                        continue
                    if not any(a.endswith("charts/sealer") or a == "sealer/sealer" for a in argv):
                        continue
                    values: dict[str, Any] = {}
                    for expression in _helm_sets(argv):
                        _deep_merge(values, helm.parse_set_string(expression))
                    try:
                        chart.render(values, name="sealer", namespace="kube-system")
                    except helm.HelmError as exc:
                        pytest.fail(f"{block.id}: {' '.join(argv)}: {exc}")
                    checked += 1
    assert checked > 0
