"""``sealer rewrite-secrets``: store every Secret under the current encryption key, resumably."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from sealer.encryption_at_rest.rewrite import CHANGED, FAILED, GONE, REWRITTEN, Progress
from sealer.errors import SealerError

DEFAULT_STATE = "sealer-rewrite-secrets.state"


class _ProgressLine:
    """A self-updating bar on a terminal; a line per 10% otherwise (logs, CI)."""

    def __init__(self, stream: object) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last = 0.0
        self._decile = -1

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        finished = p.done == p.total
        if self.tty:
            if not finished and now - self._last < 0.1:
                return
        else:
            decile = p.done * 10 // max(p.total, 1)
            if decile == self._decile and not finished:
                return
            self._decile = decile
        self._last = now
        width = 24
        filled = width * p.done // max(p.total, 1)
        eta = f" eta {p.eta:.0f}s" if p.eta is not None and not finished else ""
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total} {p.rate:.1f}/s{eta} "
                f"rewritten {p.counts[REWRITTEN]} changed {p.counts[CHANGED]} gone {p.counts[GONE]} "
                f"failed {p.counts[FAILED]} conflicts {p.conflicts} retries {p.retries}")
        click.echo(("\r" + line + ("\n" if finished else "")) if self.tty else line, err=True, nl=not self.tty)


@click.command("rewrite-secrets")
@click.option("-n", "--namespace", help="Only this namespace (default: all namespaces).")
@click.option("-l", "--selector", "label_selector", help="Label selector, as kubectl's -l.")
@click.option("--field-selector", help="Field selector, as kubectl's --field-selector.")
@click.option("--state", "state_file", default=DEFAULT_STATE, show_default=True, type=click.Path(dir_okay=False),
              help="Journal of finished Secrets; rerun with the same file to resume. Removed after a clean run.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Kubeconfig file (default: $KUBECONFIG).")
@click.option("--context", help="Kubeconfig context.")
@click.option("--page-size", type=click.IntRange(1, 5000), default=500, show_default=True)
@click.option("--retries", type=click.IntRange(0, 20), default=6, show_default=True,
              help="Retries of a 429/5xx/network failure per request (backoff 0.2 s doubling, at most 10 s).")
@click.option("--summary-json", is_flag=True, help="Print the summary as JSON on stdout.")
def rewrite_secrets(namespace: str | None, label_selector: str | None, field_selector: str | None,
                    state_file: str, kubeconfig: str | None, context: str | None, page_size: int,
                    retries: int, summary_json: bool) -> None:
    """Read and write back every Secret so the API server stores it under the newest key.

    The safe form of `kubectl get secrets -A -o json | kubectl replace -f -`:
    one Secret at a time, conflicts re-read (a Secret changed meanwhile is
    already current), transient errors retried, progress shown, and an
    interrupted run resumed from --state. Values are never printed.
    """
    from sealer.api import at_rest

    options = at_rest.RewriteOptions(namespace=namespace, label_selector=label_selector,
                                     field_selector=field_selector, state_file=state_file, page_size=page_size,
                                     max_retries=retries)
    resuming = Path(state_file).exists()
    if resuming:
        click.echo(f"resuming from {state_file}", err=True)
    try:
        summary = at_rest.rewrite_secrets(options, kubeconfig=kubeconfig, context=context,
                                          progress=_ProgressLine(sys.stderr))
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: finished Secrets are recorded in {state_file}; run the same command again "
                   "to resume", err=True)
        raise
    if summary_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    click.echo(summary.to_text(), err=True, nl=False)
    if summary.ok:
        Path(state_file).unlink(missing_ok=True)
        return
    raise SealerError(f"{len(summary.failures)} Secrets were not rewritten",
                        hint=f"fix the cause and run the same command again; {state_file} skips the finished ones")
