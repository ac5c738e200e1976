"""``sealer sops``: the sops verbs (encrypt, decrypt, edit, rotate, updatekeys, set, unset), flags as sops names them.

Each verb reads bytes, calls one :mod:`sealer.api.sops` function and writes
the result: to stdout, to ``--output``, or back to the file with
``--in-place`` (atomically: nothing half-written, nothing lost on failure).
Failures are :class:`~sealer.errors.SealerError` and become exit statuses in
:func:`sealer.cli.main.run`.

``decrypt`` (the hot verb) has its options in a table in
:mod:`sealer.cli.sops_decrypt`, which also parses the common forms without
click; the click command here is built from that table, so the two parsers,
``--help`` and the CLI reference cannot drift apart.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from sealer.cli.sops_decrypt import (
    DECRYPT_HELP,
    DECRYPT_OPTIONS,
    FORMATS,
    IO_OPTIONS,
    InPlaceNeedsFile,
    Opt,
    read_input,
    run_decrypt,
    source_name,
    stores_for,
    write_output,
)
from sealer.errors import InputError, KeyNotFoundError, SealerError

F = TypeVar("F", bound=Callable[..., Any])

TYPES = click.Choice(list(FORMATS))

def _write(data: bytes, *, file: str, in_place: bool, output: str | None) -> None:
    """Encrypted output of encrypt and rotate: an existing file keeps its mode, a new one gets the umask's."""
    try:
        write_output(data, file=file, in_place=in_place, output=output)
    except InPlaceNeedsFile as exc:
        raise click.UsageError(exc.message) from None


def _age_list(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def click_option(option: Opt) -> Callable[[F], F]:
    """The click option for one row of a table in :mod:`sealer.cli.sops_decrypt`."""
    names = [f"--{option.long}", *([f"-{option.short}"] if option.short else [])]
    if option.kind == "flag":
        return click.option(*names, is_flag=True, help=option.help)
    kinds: dict[str, Any] = {"choice": TYPES, "path": click.Path(dir_okay=False), "str": None}
    return click.option(*names, type=kinds[option.kind], default=option.default, help=option.help)


def with_options(options: tuple[Opt, ...]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for option in reversed(options):
            func = click_option(option)(func)
        return func

    return apply


io_options = with_options(IO_OPTIONS)


@click.group(name="sops")
def sops() -> None:
    """Encrypt and decrypt SOPS files with age; read and written by the real sops 3.x."""


@sops.command()
@click.argument("file", default="-")
@io_options
@click.option(
    "--age", "-a", "age", multiple=True, envvar="SOPS_AGE_RECIPIENTS", help="age recipients (comma-separated)."
)
@click.option("--encrypted-regex", default="", help="Encrypt only values whose key path matches.")
@click.option("--unencrypted-regex", default="", help="Leave values whose key path matches in clear.")
@click.option("--encrypted-suffix", default="", help="Encrypt only keys ending with this suffix.")
@click.option("--unencrypted-suffix", default="", help="Leave keys ending with this suffix in clear.")
@click.option("--encrypted-comment-regex", default="", help="Encrypt only values after a matching comment.")
@click.option("--unencrypted-comment-regex", default="", help="Leave values after a matching comment in clear.")
@click.option("--mac-only-encrypted", is_flag=True, default=None, help="MAC only the encrypted values.")
@click.option("--shamir-secret-sharing-threshold", type=int, default=0, help="Key groups needed to decrypt.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="Path to .sops.yaml.")
@click.option("--filename-override", default="", help="File name used for type inference and creation rules.")
def encrypt(
    file: str,
    input_type: str | None,
    output_type: str | None,
    in_place: bool,
    output: str | None,
    age: tuple[str, ...],
    encrypted_regex: str,
    unencrypted_regex: str,
    encrypted_suffix: str,
    unencrypted_suffix: str,
    encrypted_comment_regex: str,
    unencrypted_comment_regex: str,
    mac_only_encrypted: bool | None,
    shamir_secret_sharing_threshold: int,
    config: str | None,
    filename_override: str,
) -> None:
    """Encrypt FILE (or stdin) to age recipients or the matching .sops.yaml creation rule."""
    from sealer.api import sops as api

    data = read_input(file)
    name = filename_override or source_name(file)
    result = api.encrypt(
        data,
        recipients=_age_list(age),
        shamir_threshold=shamir_secret_sharing_threshold,
        input_type=input_type,
        filename=name,
        output_type=output_type,
        encrypted_regex=encrypted_regex,
        unencrypted_regex=unencrypted_regex,
        encrypted_suffix=encrypted_suffix,
        unencrypted_suffix=unencrypted_suffix,
        encrypted_comment_regex=encrypted_comment_regex,
        unencrypted_comment_regex=unencrypted_comment_regex,
        mac_only_encrypted=mac_only_encrypted,
        config=config,
        stores=stores_for(config),
    )
    _write(result, file=file, in_place=in_place, output=output)


@sops.command(help=DECRYPT_HELP)
@click.argument("file", default="-")
@with_options(DECRYPT_OPTIONS)
def decrypt(**values: Any) -> None:
    # Parsed here only when the click-free path (sealer.cli.sops_decrypt.run_fast) declined the arguments.
    try:
        run_decrypt(**values)
    except InPlaceNeedsFile as exc:
        raise click.UsageError(exc.message) from None


@sops.command()
@click.argument("file")
@io_options
@click.option("--add-age", multiple=True, help="age recipients to add (comma-separated).")
@click.option("--rm-age", multiple=True, help="age recipients to remove (comma-separated).")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="Path to .sops.yaml.")
@click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC.")
def rotate(
    file: str,
    input_type: str | None,
    output_type: str | None,
    in_place: bool,
    output: str | None,
    add_age: tuple[str, ...],
    rm_age: tuple[str, ...],
    config: str | None,
    ignore_mac: bool,
) -> None:
    """Re-encrypt FILE under a new data key (optionally adding or removing age recipients)."""
    from sealer.api import sops as api

    result = api.rotate(
        read_input(file),
        input_type=input_type,
        filename=source_name(file),
        output_type=output_type,
        add_age=_age_list(add_age),
        remove_age=_age_list(rm_age),
        stores=stores_for(config),
        ignore_mac=ignore_mac,
    )
    _write(result, file=file, in_place=in_place, output=output)


@sops.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--input-type", type=TYPES, help="Input format (default: from the file extension).")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="Path to .sops.yaml.")
@click.option("--shamir-secret-sharing-threshold", type=int, default=0, help="Key groups needed to decrypt.")
def updatekeys(
    files: tuple[str, ...], input_type: str | None, yes: bool, config: str | None, shamir_secret_sharing_threshold: int
) -> None:
    """Re-wrap each FILE's data key for the recipients its .sops.yaml creation rule names."""
    from sealer.api import sops as api
    from sealer.atomic_write import atomic_write
    from sealer.formats.sops.config import find_config, load_config

    for file in files:
        config_path = Path(config) if config else find_config(Path.cwd())
        if config_path is None:
            raise KeyNotFoundError("no .sops.yaml found in the working directory or its parents", hint="use --config")
        rule = load_config(config_path).rule_for(file)
        result = api.update_keys(
            read_input(file),
            key_groups=rule.key_groups,
            shamir_threshold=shamir_secret_sharing_threshold or rule.shamir_threshold,
            input_type=input_type,
            filename=file,
            stores=stores_for(str(config_path)),
        )
        if result is None:
            click.echo(f"{file}: already up to date", err=True)
            continue
        if not yes and sys.stdin.isatty():
            wanted = "; ".join(", ".join(group) for group in rule.key_groups)
            if not click.confirm(f"{file}: set recipients to {wanted}?", err=True):
                click.echo(f"{file}: left unchanged", err=True)
                continue
        atomic_write(file, result)
        click.echo(f"{file}: synced with new keys", err=True)


@sops.command(name="set")
@click.argument("file")
@click.argument("path")
@click.argument("value", required=False)
@click.option("--input-type", type=TYPES, help="Input format (default: from the file extension).")
@click.option("--value-stdin", is_flag=True, help="Read the JSON value from stdin.")
@click.option("--value-file", is_flag=True, help="VALUE is a file holding the JSON value.")
@click.option("--idempotent", is_flag=True, help="Do nothing if PATH already holds VALUE.")
@click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC.")
def set_(
    file: str,
    path: str,
    value: str | None,
    input_type: str | None,
    value_stdin: bool,
    value_file: bool,
    idempotent: bool,
    ignore_mac: bool,
) -> None:
    """Set PATH (e.g. '["data"]["password"]') in FILE to the JSON VALUE, in place."""
    from sealer.api import sops as api
    from sealer.atomic_write import atomic_write
    from sealer.formats.sops.treepath import parse_json_value

    if value_stdin:
        text = sys.stdin.read()
    elif value_file:
        if value is None:
            raise click.UsageError("--value-file needs VALUE to name a file")
        text = read_input(value).decode("utf-8", "replace")
    elif value is None:
        raise click.UsageError("missing VALUE (a JSON value)")
    else:
        text = value
    result = api.set_value(
        read_input(file), path=path, value=parse_json_value(text), input_type=input_type, filename=file,
        stores=stores_for(None), ignore_mac=ignore_mac, idempotent=idempotent,
    )
    if result is None:
        click.echo(f"{file}: {path} already has that value; not modified", err=True)
        return
    atomic_write(file, result)


@sops.command()
@click.argument("file")
@click.argument("path")
@click.option("--input-type", type=TYPES, help="Input format (default: from the file extension).")
@click.option("--ignore-mac", is_flag=True, help="Do not verify the MAC.")
def unset(file: str, path: str, input_type: str | None, ignore_mac: bool) -> None:
    """Remove PATH (e.g. '["data"]["password"]') from FILE, in place."""
    from sealer.api import sops as api
    from sealer.atomic_write import atomic_write

    result = api.unset_value(
        read_input(file),
        path=path,
        input_type=input_type,
        filename=file,
        stores=stores_for(None),
        ignore_mac=ignore_mac,
    )
    atomic_write(file, result)


def _editor() -> list[str]:
    import shlex
    import shutil

    for variable in ("SOPS_EDITOR", "EDITOR"):
        command = os.environ.get(variable)
        if command:
            return shlex.split(command)
    for candidate in ("vim", "nano", "vi"):
        found = shutil.which(candidate)
        if found:
            return [found]
    raise InputError("no editor found: set $EDITOR (or $SOPS_EDITOR)")


@contextmanager
def _private_file(suffix: str, content: bytes) -> Iterator[Path]:
    """A 0600 file in a fresh 0700 directory, removed (with the directory) whatever happens."""
    import shutil
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="sealer-sops-"))
    path = directory / f"plaintext{suffix}"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        yield path
    finally:
        path.unlink(missing_ok=True)
        shutil.rmtree(directory, ignore_errors=True)


_EXAMPLES = {
    "yaml": b"hello: Welcome to SOPS! Edit this file as you please!\nexample_key: example_value\n",
    "json": b'{\n\t"hello": "Welcome to SOPS! Edit this file as you please!",\n\t"example_key": "example_value"\n}\n',
    "dotenv": b"hello=Welcome to SOPS! Edit this file as you please!\nexample_key=example_value\n",
    "binary": b"Welcome to SOPS! Edit this file as you please!",
}


@sops.command()
@click.argument("file")
@click.option("--input-type", type=TYPES, help="Input format (default: from the file extension).")
@click.option("--age", "-a", "age", multiple=True, envvar="SOPS_AGE_RECIPIENTS", help="age recipients for a new file.")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), help="Path to .sops.yaml (new files).")
def edit(file: str, input_type: str | None, age: tuple[str, ...], config: str | None) -> None:
    """Open FILE decrypted in $EDITOR (a 0600 temp file), then re-encrypt it; creates FILE if missing."""
    import hashlib
    import subprocess

    from sealer.api import sops as api
    from sealer.atomic_write import atomic_write
    from sealer.formats.sops.stores import format_for_path, store_for

    kind = input_type or format_for_path(file)
    suffix = Path(file).suffix if kind != "binary" else ""
    existing = Path(file).exists()
    stores = stores_for(config)
    decrypted = (
        api.decrypt_file(read_input(file), input_type=input_type, filename=file, stores=stores) if existing else None
    )
    store = decrypted.store if decrypted else store_for(kind, stores)
    plaintext = store.emit_plain(decrypted.branches) if decrypted else _EXAMPLES.get(kind, b"")
    with _private_file(suffix, plaintext) as path:
        before = hashlib.sha256(path.read_bytes()).digest()
        completed = subprocess.run([*_editor(), str(path)], check=False)
        if completed.returncode != 0:
            raise SealerError(f"the editor exited with status {completed.returncode}; {file} left unchanged")
        edited = path.read_bytes()
    if existing and hashlib.sha256(edited).digest() == before:
        click.echo(f"{file}: not modified, nothing to do", err=True)
        return
    if decrypted is None:
        result = api.encrypt(
            edited, recipients=_age_list(age), input_type=kind, filename=file, config=config, stores=stores
        )
        atomic_write(file, result)
        return
    try:
        decrypted.branches = store.load_plain(edited)
    except SealerError as exc:
        raise InputError(f"the edited {file} is not valid {kind}: {exc.message}; {file} left unchanged") from None
    if not decrypted.branches:
        raise InputError(f"the edited {file} is empty; {file} left unchanged")
    atomic_write(file, api.reencrypt(decrypted))
