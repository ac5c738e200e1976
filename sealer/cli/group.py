"""The click group behind ``sealer``: lists and loads verbs from :data:`sealer.cli.main.COMMANDS` lazily.

Kept apart from :mod:`sealer.cli.main` so that ``sealer seal`` (dispatched
before this module is imported) never pays for importing click.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from sealer.cli.main import COMMANDS


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
