"""``sealer age-keygen``: make an age identity, or print the recipients of one, like ``age-keygen``.

The output file is created ``0600`` and never overwritten (``O_EXCL``), as
age-keygen does, and written through :mod:`sealer.atomic_write` (no partial
key file); the public key goes to stderr when the key itself is not printed to
a terminal.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys

import click

from sealer.errors import InputError


@click.command(name="age-keygen")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the identity to this file (0600).")
@click.option("-y", "convert", is_flag=True, help="Print the recipients of the identities in INPUT (or stdin).")
@click.argument("input_file", required=False)
def age_keygen(output: str | None, convert: bool, input_file: str | None) -> None:
    """Generate an age X25519 identity (AGE-SECRET-KEY-1...), or with -y print its public key."""
    from sealer.crypto import age

    if convert:
        try:
            text = sys.stdin.read() if input_file in (None, "-") else open(input_file, encoding="utf-8").read()
        except OSError as exc:
            raise InputError(f"cannot read {input_file}: {exc.strerror}") from None
        try:
            identities = age.parse_identities(text, source=input_file or "<stdin>")
        except age.AgeError as exc:
            raise InputError(str(exc)) from None
        if not identities:
            raise InputError(f"no identities found in {input_file or '<stdin>'}")
        lines = [str(identity.to_public()) for identity in identities]
        _emit("\n".join(lines) + "\n", output)
        return
    if input_file is not None:
        raise click.UsageError("an input file is only accepted with -y")
    secret, public = age.generate_identity()
    created = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    content = f"# created: {created}\n# public key: {public}\n{secret}\n"
    if output is not None or not sys.stdout.isatty():
        click.echo(f"Public key: {public}", err=True)
    _emit(content, output)


def _emit(content: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(content)
        sys.stdout.flush()
        return
    from sealer.atomic_write import atomic_write

    try:  # claim the name first, so an existing file is never overwritten (age-keygen's O_EXCL)
        os.close(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise InputError(f"{output} already exists; not overwriting it") from None
    except OSError as exc:
        raise InputError(f"cannot create {output}: {exc.strerror}") from None
    try:  # the secret key then lands whole (fsynced) or not at all
        atomic_write(output, content.encode("utf-8"), mode=0o600)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(output)
        raise
