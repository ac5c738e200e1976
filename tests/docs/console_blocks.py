"""Find the shell sessions in the Markdown docs, so tests can run the ones that run here.

A session is a fenced block with the info string ``console``: lines starting with ``$ `` are
commands (a trailing ``\\`` continues one; a heredoc's body runs to its terminator), other lines
are the output a reader should expect. A block that cannot run on a machine without a cluster,
network or container engine is marked by an HTML comment on the line before its fence::

    <!-- docs-test: needs-cluster -->
    <!-- docs-test: needs-network -->
    <!-- docs-test: needs-docker -->
    <!-- docs-test: skip: runs the whole test suite, which contains this test -->
    <!-- docs-test: in-repo -->       (runs, with the repository checkout as working directory)

Unmarked blocks run, in order, in one scratch directory per document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"^<!--\s*docs-test:\s*(?P<kind>[a-z-]+)(?::\s*(?P<reason>.*?))?\s*-->$")
SKIP_KINDS = {
    "needs-cluster": "needs a real Kubernetes cluster",
    "needs-network": "needs network access",
    "needs-docker": "needs a container engine",
    "skip": "",
}
RUN_KINDS = {"in-repo"}
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\1")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the opening fence
    marker: str | None
    reason: str
    commands: tuple[str, ...]

    @property
    def runs_here(self) -> bool:
        return self.marker is None or self.marker in RUN_KINDS

    @property
    def skip_reason(self) -> str:
        return self.reason or SKIP_KINDS.get(self.marker or "", "")

    @property
    def id(self) -> str:
        """``docs/quickstart.md:11``: the file relative to the checkout, and the fence's line."""
        root = Path(__file__).resolve().parents[2]
        shown = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        return f"{shown}:{self.line}"


def _commands(lines: list[str], where: str) -> tuple[str, ...]:
    commands: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.startswith("$ "):
            continue
        command = line[2:]
        while command.endswith("\\") and i < len(lines):
            command = command[:-1] + "\n" + lines[i]
            i += 1
        for match in HEREDOC.finditer(command):
            body = []
            while i < len(lines) and lines[i].strip() != match["word"]:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{where}: heredoc {match['word']} is not terminated")
            command += "\n" + "\n".join(body) + "\n" + lines[i]
            i += 1
        commands.append(command)
    return tuple(commands)


def blocks(path: Path) -> list[Block]:
    """Every ``console`` block of one Markdown file."""
    found: list[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = lines[i].strip()
        if not fence.startswith("```"):
            i += 1
            continue
        info = fence[3:].strip()
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]  # fences inside list items
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i].removeprefix(indent))
            i += 1
        if i == len(lines):
            raise ValueError(f"{path}:{start + 1}: unterminated code fence")
        i += 1
        if info != "console":
            continue
        marker = reason = None
        previous = lines[start - 1].strip() if start else ""
        if previous.startswith("<!--"):
            match = MARKER.match(previous)
            if match is None:
                raise ValueError(f"{path}:{start}: malformed docs-test marker: {previous}")
            marker, reason = match["kind"], match["reason"]
            if marker not in SKIP_KINDS and marker not in RUN_KINDS:
                raise ValueError(f"{path}:{start}: unknown docs-test marker {marker!r}")
            if marker == "skip" and not reason:
                raise ValueError(f"{path}:{start}: a skip marker needs a reason")
        commands = _commands(body, f"{path}:{start + 1}")
        if not commands:
            raise ValueError(f"{path}:{start + 1}: a console block without a $ command")
        found.append(Block(path, start + 1, marker, reason or "", commands))
    return found
