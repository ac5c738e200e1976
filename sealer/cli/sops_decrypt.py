"""``sealer sops decrypt``'s options, defined once, and a click-free fast path for the common forms.

``sealer sops decrypt FILE`` is the hot verb (CI jobs, Argo CD, scripts call it
once per file), and importing click costs about a third of such a run. So
:data:`DECRYPT_OPTIONS` is the only definition of its flags: the click command
in :mod:`sealer.cli.sops` is built from it (so ``--help`` and the generated CLI
reference come from it), and :func:`parse_decrypt` reads the same table to
parse the plain forms (``--flag value``, ``--flag=value``, ``-i``, one FILE)
without importing click. Anything else (``--help``, an unknown or repeated
flag, a value click would reject, shell completion) makes :func:`parse_decrypt`
decline, and the caller runs click instead: its messages and exit codes are
the reference, never re-implemented here.

Both paths then run :func:`run_decrypt`, so they cannot behave differently;
its :class:`~sealer.errors.SealerError` failures become exit statuses in
:func:`sealer.cli.main.run`. This module must not import click.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sealer.errors import InputError, UsageError

# The --input-type/--output-type choices, as sops names its stores.
FORMATS: tuple[str, ...] = ("yaml", "json", "dotenv", "binary", "ini")


class Opt(NamedTuple):
    """One flag (no dataclass: this module is on the hot path).

    ``kind`` is what click makes of it: ``"choice"`` (one of :data:`FORMATS`),
    ``"flag"`` (boolean, no value), ``"path"`` (``click.Path(dir_okay=False)``)
    or ``"str"``.
    """

    long: str
    help: str
    kind: str = "str"
    short: str | None = None
    default: Any = None

    @property
    def dest(self) -> str:
        return self.long.replace("-", "_")


# Shared by the verbs that read a file and write a result (decrypt, encrypt, rotate).
IO_OPTIONS: tuple[Opt, ...] = (
    Opt("input-type", "Input format (default: from the file extension).", kind="choice"),
    Opt("output-type", "Output format (default: the input format).", kind="choice"),
    Opt("in-place", "Write the result back to the file.", kind="flag", short="i", default=False),
    Opt("output", "Write the result to this file.", kind="path"),
)

DECRYPT_HELP = "Decrypt FILE (or stdin) and print it (or write it with --output / --in-place)."
DECRYPT_OPTIONS: tuple[Opt, ...] = (
    *IO_OPTIONS,
    Opt("extract", "Print one value, e.g. '[\"data\"][\"password\"]'."),
    Opt("ignore-mac", "Do not verify the MAC (recover a damaged file).", kind="flag", default=False),
    Opt("config", "Path to .sops.yaml (unused for decryption).", kind="path"),
    Opt("filename-override", "File name used for type inference.", default=""),
)
_BY_FLAG: dict[str, Opt] = {
    **{f"--{o.long}": o for o in DECRYPT_OPTIONS},
    **{f"-{o.short}": o for o in DECRYPT_OPTIONS if o.short},
}
# click's shell-completion hook for the ``sealer`` program; when set, click must answer.
_COMPLETE_VAR = "_SEALER_COMPLETE"


class InPlaceNeedsFile(UsageError):
    """``--in-place`` with stdin: the click command shows it as click's usage error."""


def _click_accepts_path(value: str) -> bool:
    """What ``click.Path(dir_okay=False)`` accepts: a missing path, or an existing readable non-directory."""
    try:
        st = os.stat(value)
    except OSError:
        return True
    return not stat.S_ISDIR(st.st_mode) and os.access(value, os.R_OK)


def parse_decrypt(args: Sequence[str], environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """``run_decrypt`` keyword arguments for ``ARGS``, or None where click must parse (and word any error).

    Declines rather than guesses: a repeated flag, a value that starts with
    ``-``, a second FILE, ``--`` or any flag not in :data:`DECRYPT_OPTIONS`
    (``-h``/``--help`` included) all go to click.
    """
    if _COMPLETE_VAR in (os.environ if environ is None else environ):
        return None
    values: dict[str, Any] = {o.dest: o.default for o in DECRYPT_OPTIONS}
    seen: set[str] = set()
    file: str | None = None
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "-" or not arg.startswith("-"):
            if file is not None:
                return None
            file = arg
            continue
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        option = _BY_FLAG.get(name)
        if option is None or option.dest in seen:
            return None
        seen.add(option.dest)
        if option.kind == "flag":
            if eq:
                return None
            values[option.dest] = True
            continue
        if eq:
            value = inline
        elif index < len(args):
            value = args[index]
            index += 1
        else:
            return None
        if value.startswith("-"):
            return None
        if option.kind == "choice" and value not in FORMATS:
            return None
        if option.kind == "path" and not _click_accepts_path(value):
            return None
        values[option.dest] = value
    values["file"] = "-" if file is None else file
    if values["in_place"] and values["file"] == "-":
        return None  # click's usage error, after decrypting: leave the whole run to click
    return values


# --- the verb, shared by both paths ------------------------------------------------------------


def read_input(file: str) -> bytes:
    """FILE's bytes, or stdin's for ``-``."""
    if file == "-":
        return sys.stdin.buffer.read()
    try:
        with open(file, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}") from None


def write_output(data: bytes, *, file: str, in_place: bool, output: str | None, mode: int | None = None) -> None:
    """Back to FILE (``--in-place``) or to ``--output``, atomically; else stdout."""
    if in_place:
        if file == "-":
            raise InPlaceNeedsFile("--in-place needs a file, not stdin")
        from sealer.atomic_write import atomic_write

        atomic_write(file, data)
    elif output:
        from sealer.atomic_write import atomic_write

        atomic_write(output, data, mode=mode)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def stores_for(config: str | None) -> Any:
    """Output indentation from ``stores:`` of the .sops.yaml sops would use (--config or the nearest)."""
    from pathlib import Path

    from sealer.formats.sops.config import store_settings_near

    return store_settings_near(Path.cwd(), Path(config) if config else None)


def source_name(file: str) -> str:
    """The name errors and type inference use: FILE, or nothing for stdin."""
    return "" if file == "-" else file


def run_decrypt(
    *,
    file: str,
    input_type: str | None,
    output_type: str | None,
    in_place: bool,
    output: str | None,
    extract: str | None,
    ignore_mac: bool,
    config: str | None,
    filename_override: str,
) -> None:
    """Decrypt FILE (or stdin) and write the plaintext (a 0600 file with ``--output``)."""
    from sealer.api import sops as api

    data = read_input(file)
    result = api.decrypt(
        data,
        input_type=input_type,
        filename=filename_override or source_name(file),
        output_type=output_type,
        extract=extract,
        ignore_mac=ignore_mac,
        stores=stores_for(config),
    )
    write_output(result, file=file, in_place=in_place, output=output, mode=0o600)


def run_fast(args: Sequence[str]) -> int | None:
    """Run ``sealer sops decrypt ARGS`` without click; None (having done nothing) when click must.

    Outside our SealerErrors, which :func:`sealer.cli.main.run` reports, the
    ends click's ``main`` gives a run are kept: a closed stdout pipe exits 1
    quietly, and Ctrl-C prints a blank line then ``aborted`` and exits 1.
    """
    values = parse_decrypt(args)
    if values is None:
        return None
    try:
        run_decrypt(**values)
    except (EOFError, KeyboardInterrupt):
        sys.stderr.write("\naborted\n")
        return 1
    except OSError as exc:
        import errno

        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _QuietOnBrokenPipe(sys.stdout)  # type: ignore[assignment]
        sys.stderr = _QuietOnBrokenPipe(sys.stderr)  # type: ignore[assignment]
        raise SystemExit(1) from None
    return 0


class _QuietOnBrokenPipe:
    """A stream whose flush ignores a closed pipe, so exiting after EPIPE prints nothing (as click does)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)
