"""Entry point: a lazy click group, and the one place failures become exit codes.

Subcommands are imported only when invoked, so ``sealer seal`` never pays for
the Kubernetes client or the SOPS machinery it does not use. ``sealer seal``
(the hot path: once per Secret in CI) is dispatched before click is even
imported; it parses its kubeseal-style flags from its own option table.
``sealer sops decrypt`` (once per file in CI and Argo CD) likewise, for the
forms :mod:`sealer.cli.sops_decrypt` parses; the rest still goes to click.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from sealer.errors import ExitCode, SealerError

# verb -> "module:attribute"; each module owns one verb (or verb group).
COMMANDS: dict[str, str] = {
    "demo": "sealer.cli.demo:demo",
    "seal": "sealer.cli.seal:seal",
    "sops": "sealer.cli.sops:sops",
    "age-keygen": "sealer.cli.age_keygen:age_keygen",
    "encryption-config": "sealer.cli.encryption_config:encryption_config",
    "rewrite-secrets": "sealer.cli.rewrite_secrets:rewrite_secrets",
    "etcd": "sealer.cli.etcd:etcd",
}


def __getattr__(name: str) -> Any:
    """``cli`` and ``LazyGroup`` live in :mod:`sealer.cli.group`, imported on first use (it imports click)."""
    if name in ("cli", "LazyGroup"):
        from sealer.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return an exit status instead of exiting (what tests call).

    The one place our failures become messages and exit codes.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["seal"]:
            from sealer.cli.seal import run_seal  # click-free fast path

            return run_seal(args[1:])
        if args[:2] == ["sops", "decrypt"]:
            from sealer.cli.sops_decrypt import run_fast  # click-free unless it declines

            code = run_fast(args[2:])
            if code is not None:
                return code
        return _run_click(args)
    except SealerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def _run_click(argv: Sequence[str]) -> int:
    import click

    from sealer.cli.group import cli

    try:
        cli.main(args=list(argv), prog_name="sealer", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE) if isinstance(exc, click.UsageError) else int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.ERROR)
    return int(ExitCode.OK)


def main() -> None:
    sys.exit(run())
