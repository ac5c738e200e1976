"""Entry point: a lazy click group, and the one place failures become exit codes.

Subcommands are imported only when invoked, so ``sealer seal`` never pays for
the Kubernetes client or the SOPS machinery it does not use.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Sequence

import click

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


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        present = [
            name for name, target in COMMANDS.items() if importlib.util.find_spec(target.split(":")[0]) is not None
        ]
        return sorted(present + list(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        if importlib.util.find_spec(module_name) is None:
            return None
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sealer")
def cli() -> None:
    """Seal Kubernetes Secrets for git: kubeseal-compatible SealedSecrets, SOPS with age."""


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return an exit status instead of exiting (what tests call)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="sealer", standalone_mode=False)
    except SealerError as exc:
        click.echo(f"error: {exc}", err=True)
        return int(exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE) if isinstance(exc, click.UsageError) else int(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        return int(ExitCode.ERROR)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return int(ExitCode.OK)


def main() -> None:
    sys.exit(run())
