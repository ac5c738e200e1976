"""Write a file so that readers see either the old content or the new, never half.

Every tool here that writes a file in place (``sealer seal -w``/``--merge-into``,
``sops encrypt -i``, key backups) goes through :func:`atomic_write`: the bytes go
to a temporary file in the *same directory* (so the final ``rename`` cannot cross
a file system), are fsynced, and only then replace the target. If anything fails
before the rename, the temporary file is removed and the target is untouched, so
a bad input never leaves a truncated or partial output behind.

Temporary files are created ``0600`` (``mkstemp``), so plaintext written through
here is never readable by others even for a moment; the final mode is the one
asked for, else the existing file's mode, else ``0644`` less the umask.

A target that exists and is not a regular file (``/dev/stdout``, ``/dev/null``,
a FIFO from ``>(...)``) is written to directly: replacing it would put a plain
file, holding the output, where the device or pipe was. Failures to write are
:class:`~sealer.errors.OutputError`, naming the path, never the data.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sealer.errors import OutputError

__all__ = ["atomic_open", "atomic_write"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _final_mode(target: Path, mode: int | None) -> int:
    if mode is not None:
        return mode
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_current_umask()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms/file systems cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], *, mode: int | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` when the block ends without an exception.

    ``mode`` sets the final permission bits (use ``0o600`` for plaintext); by
    default an existing file keeps its mode. Symlinks are followed, so the link
    stays and its target is replaced.
    """
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    except OSError as exc:
        raise _output_error(path, exc) from None
    if special:
        try:
            with open(path, "wb") as stream:  # the name as given: /dev/stdout, not what it resolves to
                yield stream
        except OSError as exc:
            raise _output_error(path, exc) from None
        return
    target = Path(os.path.realpath(path))
    directory = target.parent
    try:
        final_mode = _final_mode(target, mode)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _output_error(path, exc) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, final_mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise _output_error(path, exc) from None
        raise
    _fsync_dir(directory)


def _output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    return OutputError(
        f"cannot write {os.fspath(path)!r}: {exc.strerror or type(exc).__name__}",
        hint="check that the directory exists, is writable and has space; the file was left as it was",
    )


def atomic_write(path: str | os.PathLike[str], data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, mode=mode) as handle:
        handle.write(data)
