"""``sealer-kustomize``: one entry point for every way kustomize and Argo CD call us.

How we were called decides the mode, as with KSOPS's ``ksops`` binary:

- ``sealer-kustomize <config-file> [args...]`` (kustomize's legacy exec plugin
  call, through the wrapper ``install`` writes): print the generated resources;
- ``sealer-kustomize`` with a ResourceList on stdin (a KRM exec function):
  print the ResourceList with the generated resources added;
- ``install``, ``argocd-generate``, ``argocd-discover``, and the explicit
  ``legacy FILE`` / ``krm`` verbs.

Every failure we raise on purpose (a :class:`~sealer.errors.SealerError`) becomes
one line on stderr and the exit status of its type, here and nowhere else;
plaintext never appears in either. Modules are imported per verb, so the
decrypting path does not load the Argo CD or install code and vice versa.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from sealer.errors import ExitCode, SealerError

__all__ = ["main", "run"]

PROG = "sealer-kustomize"
VERBS = ("install", "legacy", "krm", "argocd-generate", "argocd-discover")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="KSOPS-compatible SOPS generator for kustomize and Argo CD. "
        "Called with a generator config file it acts as a legacy exec plugin; "
        "with a ResourceList on stdin, as a KRM exec function.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    install = verbs.add_parser("install", help="install the exec plugins where kustomize looks for them")
    install.add_argument(
        "--dir",
        type=Path,
        help="plugin home (default: $KUSTOMIZE_PLUGIN_HOME, else $XDG_CONFIG_HOME/kustomize/plugin, "
        "else ~/.config/kustomize/plugin)",
    )
    install.add_argument(
        "--bin-dir", type=Path, help="also install a `ksops` command here, for KRM manifests with exec path: ksops"
    )
    legacy = verbs.add_parser("legacy", help="generate from a generator manifest file (what kustomize calls)")
    legacy.add_argument("config", help="the generator manifest")
    verbs.add_parser("krm", help="read a KRM ResourceList on stdin, write it back with the generated resources")
    generate = verbs.add_parser("argocd-generate", help="Argo CD CMP generate: kustomize build with this plugin")
    generate.add_argument("path", nargs="?", default=".", help="the Application source directory (default: .)")
    discover = verbs.add_parser("argocd-discover", help="Argo CD CMP discovery: print a generator manifest path")
    discover.add_argument("path", nargs="?", default=".")
    return parser


def _fail(stderr: TextIO, exc: SealerError) -> int:
    from sealer_kustomize.failures import one_line

    stderr.write(f"{PROG}: error: {one_line(exc)}\n")
    stderr.flush()
    return int(exc.exit_code)


def run(
    argv: Sequence[str] | None = None,
    *,
    stdin: BinaryIO | None = None,
    stdout: BinaryIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Run one command and return its exit status (what tests call in-process)."""
    args = list(sys.argv[1:] if argv is None else argv)
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    stderr = stderr or sys.stderr
    environ = os.environ if environ is None else environ
    try:
        if not args:
            if stdin.isatty():
                _parser().print_usage(stderr)
                stderr.write(f"{PROG}: give a generator config file, a verb, or a ResourceList on stdin\n")
                return int(ExitCode.USAGE)
            return _krm(stdin, stdout, stderr, environ)
        if args[0] not in VERBS and not args[0].startswith("-"):
            return _legacy(args[0], stdout, environ)
        try:
            options = _parser().parse_args(args)
        except SystemExit as exit_:
            return int(exit_.code or 0) if isinstance(exit_.code, int) else int(ExitCode.USAGE)
        if options.verb == "legacy":
            return _legacy(options.config, stdout, environ)
        if options.verb == "krm":
            return _krm(stdin, stdout, stderr, environ)
        if options.verb == "install":
            from sealer_kustomize.install import install

            for path in install(environ=environ, plugin_home=options.dir, bin_dir=options.bin_dir):
                stderr.write(f"installed {path}\n")
            return int(ExitCode.OK)
        if options.verb == "argocd-generate":
            from sealer_kustomize.argocd import generate

            manifests, warnings = generate(source_dir=Path(options.path), environ=environ)
            if warnings:
                stderr.write(warnings.decode("utf-8", "replace"))
            stdout.write(manifests)
            stdout.flush()
            return int(ExitCode.OK)
        if options.verb == "argocd-discover":
            from sealer_kustomize.argocd import discover

            found = discover(Path(options.path))
            if found:
                stdout.write(f"{found}\n".encode())
                stdout.flush()
            return int(ExitCode.OK)
        _parser().print_help(stderr)
        return int(ExitCode.USAGE)
    except SealerError as exc:
        return _fail(stderr, exc)
    except KeyboardInterrupt:
        stderr.write(f"{PROG}: interrupted\n")
        return 130


def _legacy(config: str, stdout: BinaryIO, environ: Mapping[str, str]) -> int:
    from sealer_kustomize.legacy import run_legacy

    stream = run_legacy(config, environ=environ)
    stdout.write(stream.encode("utf-8"))
    stdout.flush()
    return int(ExitCode.OK)


def _krm(stdin: BinaryIO, stdout: BinaryIO, stderr: TextIO, environ: Mapping[str, str]) -> int:
    from sealer_kustomize.krm import run_krm

    outcome = run_krm(stdin.read(), environ=environ)
    stdout.write(outcome.output.encode("utf-8"))
    stdout.flush()
    if outcome.error:
        stderr.write(f"{PROG}: error: {outcome.error}\n")
        stderr.flush()
    return outcome.exit_code


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
