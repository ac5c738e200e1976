"""Read and decrypt a generator's SOPS files, concurrently, in memory only.

Decryption itself is :func:`sealer.api.sops.decrypt` (imported on first use, so
``sealer-kustomize install`` never loads the crypto stack). This module adds
what a build needs around it:

- paths are resolved as KSOPS resolves them: relative to the working directory,
  which kustomize sets to the kustomization root for both legacy exec plugins
  and KRM exec functions;
- an optional *root* (``SEALER_KUSTOMIZE_ROOT``; ``argocd-generate`` sets it to
  the repository checkout) outside which no file is read, so one Argo CD
  Application cannot decrypt another team's files by ``../`` or a symlink;
- the age identities are loaded once per run, not once per file (a
  ``SOPS_AGE_KEY_CMD`` would otherwise run for every file);
- each distinct file is decrypted once; with ``KSOPS_CONCURRENCY_LIMIT`` set
  above 1 the files of a generator go to a thread pool of that size. By default
  they are decrypted one after another, because that is faster here: measured
  (bench/bench_kustomize.py), a file costs ~2 ms, nearly all of it YAML parsing
  in Python under the GIL (the age unwrap and AES-GCM are microseconds in native
  code), so 20 threads took 48 ms where one took 39 ms for 20 files;
- every failure names the file; the first failing file in manifest order wins,
  so the message does not depend on thread timing.

Plaintext exists only in the returned ``bytes``: nothing is written anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sealer.errors import InputError, SealerError

__all__ = ["DEFAULT_CONCURRENCY", "DecryptFunc", "Decryptor", "concurrency_limit"]

DEFAULT_CONCURRENCY = 1
ROOT_ENV = "SEALER_KUSTOMIZE_ROOT"
CONCURRENCY_ENV = "KSOPS_CONCURRENCY_LIMIT"

# (ciphertext, display name, format, identities) -> plaintext
DecryptFunc = Callable[[bytes, str, str, "Sequence[object] | None"], bytes]


def concurrency_limit(environ: Mapping[str, str]) -> int:
    """KSOPS's ``KSOPS_CONCURRENCY_LIMIT``: a positive integer (KSOPS defaults to 20, we to 1: see above)."""
    raw = environ.get(CONCURRENCY_ENV, "")
    if not raw:
        return DEFAULT_CONCURRENCY
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise InputError(f"{CONCURRENCY_ENV}={raw!r} is not a positive integer", hint="unset it or set e.g. 10")
    return value


def _sops_decrypt(data: bytes, name: str, fmt: str, identities: Sequence[object] | None) -> bytes:
    from sealer.api import sops

    plaintext: bytes = sops.decrypt(data, input_type=fmt, output_type=fmt, filename=name, identities=identities)
    return plaintext


def _format_for_path(path: str) -> str:
    from sealer.api import sops

    fmt: str = sops.format_for_path(path)
    return fmt


def _load_identities(environ: Mapping[str, str]) -> tuple[list[object], str]:
    """Every age identity sops would use, loaded once, and a description of where they came from."""
    from sealer.keys.age_identities import discover

    found = discover(environ)
    return list(found.identities), found.describe()


@dataclass
class Decryptor:
    """Decrypts the files of one run with one set of identities and one thread budget."""

    base_dir: Path = field(default_factory=Path.cwd)
    root: Path | None = None
    workers: int = DEFAULT_CONCURRENCY
    identities: Sequence[object] | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    decrypt_func: DecryptFunc = _sops_decrypt
    _identity_sources: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], *, base_dir: Path | None = None) -> Decryptor:
        """Settings from the process environment: root, concurrency limit."""
        root = environ.get(ROOT_ENV) or None
        return cls(
            base_dir=base_dir or Path.cwd(),
            root=Path(root) if root else None,
            workers=concurrency_limit(environ),
            environ=environ,
        )

    def resolve(self, written: str) -> Path:
        """The file a manifest path names, checked against the root."""
        path = Path(written)
        if not path.is_absolute():
            path = self.base_dir / path
        if self.root is not None:
            real = Path(os.path.realpath(path))
            real_root = Path(os.path.realpath(self.root))
            if real != real_root and real_root not in real.parents:
                raise InputError(
                    f"{written}: resolves outside {self.root}; refusing to read it",
                    hint="generator files must live in the same repository checkout",
                )
        return path

    def _ensure_identities(self) -> None:
        if self.identities is None:
            self.identities, self._identity_sources = _load_identities(self.environ)

    def _read(self, written: str) -> bytes:
        path = self.resolve(written)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{written}: no such file (looked in {self.base_dir})") from None
        except IsADirectoryError:
            raise InputError(f"{written}: is a directory, not a SOPS-encrypted file") from None
        except OSError as exc:
            raise InputError(f"{written}: cannot read: {exc.strerror}") from None

    def _decrypt(self, written: str, data: bytes) -> bytes:
        try:
            return self.decrypt_func(data, written, _format_for_path(written), self.identities)
        except SealerError as exc:
            message = exc.message
            if self._identity_sources:
                # the identities were loaded here once, not by decrypt: say where from
                message = message.replace("(the identities given)", f"({self._identity_sources})")
            if written not in message:
                message = f"{written}: {message}"
            if message == exc.message:
                raise
            raise type(exc)(message, hint=exc.hint) from None

    def decrypt_many(self, written_paths: Sequence[str]) -> list[bytes]:
        """Plaintext of each path, in order; a path listed twice is decrypted once.

        Every file is read (and checked against the root) before any is
        decrypted, so a missing file is reported without touching a key.
        """
        unique = list(dict.fromkeys(written_paths))
        if not unique:
            return []
        ciphertexts = {written: self._read(written) for written in unique}
        self._ensure_identities()
        results: dict[str, bytes] = {}
        if len(unique) == 1 or self.workers == 1:
            for written in unique:
                results[written] = self._decrypt(written, ciphertexts[written])
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(unique))) as pool:
                futures = [(w, pool.submit(self._decrypt, w, ciphertexts[w])) for w in unique]
                try:
                    for written, future in futures:
                        results[written] = future.result()
                finally:
                    for _, future in futures:
                        future.cancel()
        return [results[written] for written in written_paths]
