"""Rewrite every Secret through the API server so that etcd stores it under the current write key.

What every guide does with ``kubectl get secrets -A -o json | kubectl replace -f -``,
done one object at a time:

- An unchanged PUT is enough: the API server skips no-op writes *unless* the
  stored value was read with a non-current key (``stale``), so a PUT re-encrypts
  exactly what needs it and is safe to repeat.
- 409 Conflict: re-read. If the Secret changed since we listed it (new
  ``resourceVersion`` or ``uid``), someone else's write already stored it under
  the current key: it counts as rewritten (``changed``). Otherwise retry the
  PUT with the fresh copy.
- 404: deleted meanwhile (``gone``): nothing left to protect.
- 429/5xx/network: retry with exponential backoff, then record it as failed
  and go on; the summary lists failures and the exit status says so.
- A state file (JSON lines, 0600) records each finished object, so an
  interrupted run resumes where it stopped; redoing the one in flight is harmless.

The Kubernetes I/O is behind :class:`SecretsClient` (see
:mod:`sealer.kube.secrets_rewrite`), so this logic is tested against an
emulator and reused by anything that can list, get and replace.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sealer.errors import InputError

REWRITTEN = "rewritten"  # our PUT went through (the API server re-encrypted it if it was stale)
CHANGED = "changed"  # someone else wrote it after we listed it: stored under the current key already
GONE = "gone"  # deleted meanwhile
FAILED = "failed"
DONE_RESULTS = (REWRITTEN, CHANGED, GONE)


class Conflict(Exception):
    """409: the object's resourceVersion moved on."""


class NotFound(Exception):
    """404: the object no longer exists."""


class Transient(Exception):
    """429, 5xx or a network failure: worth retrying."""


class Permanent(Exception):
    """Any other refusal (403, 422, ...): retrying will not help."""


class SecretsClient(Protocol):
    def list_page(self, *, namespace: str | None, label_selector: str | None, field_selector: str | None,
                  limit: int, continue_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of Secrets (whole objects) and the continue token, None on the last page."""

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        """The current object; raises NotFound/Transient/Permanent."""

    def replace(self, namespace: str, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT ``obj`` (with its resourceVersion); raises Conflict/NotFound/Transient/Permanent."""


@dataclass(frozen=True)
class RewriteOptions:
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    state_file: str | None = None
    """JSON-lines journal of finished objects; an existing file means resume."""
    page_size: int = 500
    max_conflicts: int = 5
    """Re-reads after 409 before giving up on one object."""
    max_retries: int = 6
    """Retries of a 429/5xx/network failure on one request (exponential backoff)."""
    backoff: float = 0.2
    """First retry delay in seconds; doubles each time, capped at ``max_backoff``."""
    max_backoff: float = 10.0

    def selection(self) -> dict[str, str | None]:
        return {"namespace": self.namespace, "labelSelector": self.label_selector,
                "fieldSelector": self.field_selector}


@dataclass
class Progress:
    total: int
    done: int = 0
    skipped: int = 0  # already done by an earlier, interrupted run
    counts: dict[str, int] = field(default_factory=lambda: {REWRITTEN: 0, CHANGED: 0, GONE: 0, FAILED: 0})
    conflicts: int = 0
    retries: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        worked = self.done - self.skipped
        return worked / elapsed if elapsed > 0 and worked > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.total - self.done) / rate if rate else None


@dataclass
class RewriteSummary:
    total: int
    counts: dict[str, int]
    skipped: int
    conflicts: int
    retries: int
    seconds: float
    failures: list[tuple[str, str, str]]  # (namespace, name, reason)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_text(self) -> str:
        rate = (self.total - self.skipped) / self.seconds if self.seconds > 0 else 0.0
        lines = [
            f"{self.total} Secrets: {self.counts[REWRITTEN]} rewritten, {self.counts[CHANGED]} changed by others "
            f"(already current), {self.counts[GONE]} deleted meanwhile, {self.counts[FAILED]} failed"
            + (f", {self.skipped} done by an earlier run" if self.skipped else ""),
            f"{self.conflicts} conflicts, {self.retries} retries, {self.seconds:.1f} s, {rate:.1f} Secrets/s",
        ]
        lines += [f"failed: {ns}/{name}: {reason}" for ns, name, reason in self.failures]
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StateFile:
    """Append-only journal: a header line with the selection, then one line per finished object."""

    def __init__(self, path: str, selection: dict[str, str | None]) -> None:
        self.path = Path(path)
        self.done: dict[tuple[str, str], str] = {}  # (namespace, name) -> uid
        header = {"kind": "SealerRewriteState", "version": 1, "selection": selection}
        if self.path.exists():
            self._load(header)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        else:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o600)
            self._write(header)
        self._unsynced = 0

    def _load(self, header: dict[str, Any]) -> None:
        lines = self.path.read_bytes().split(b"\n")
        try:
            first = json.loads(lines[0])
        except ValueError:
            raise InputError(f"{self.path} is not a rewrite state file") from None
        if first.get("kind") != header["kind"]:
            raise InputError(f"{self.path} is not a rewrite state file")
        if first.get("selection") != header["selection"]:
            raise InputError(f"{self.path} records a run over another selection ({first.get('selection')})",
                             hint="use the same --namespace/--selector, or another --state file")
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the last line of an interrupted run may be cut short
            if isinstance(entry, dict) and entry.get("result") in DONE_RESULTS:
                self.done[(entry["namespace"], entry["name"])] = entry.get("uid", "")

    def _write(self, doc: dict[str, Any]) -> None:
        os.write(self._fd, json.dumps(doc, separators=(",", ":")).encode() + b"\n")

    def record(self, namespace: str, name: str, uid: str, result: str) -> None:
        self._write({"namespace": namespace, "name": name, "uid": uid, "result": result})
        self._unsynced += 1
        if self._unsynced >= 50:
            self.sync()

    def sync(self) -> None:
        os.fsync(self._fd)
        self._unsynced = 0

    def close(self) -> None:
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _list_all(client: SecretsClient, options: RewriteOptions, progress: Progress,
              sleep: Callable[[float], None]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        call = functools.partial(client.list_page, namespace=options.namespace,
                                 label_selector=options.label_selector, field_selector=options.field_selector,
                                 limit=options.page_size, continue_token=token)
        page, token = _retrying(call, options, progress, sleep)
        items.extend(page)
        if not token:
            return items


def _retrying(call: Callable[[], Any], options: RewriteOptions, progress: Progress,
              sleep: Callable[[float], None]) -> Any:
    delay = options.backoff
    for attempt in range(options.max_retries + 1):
        try:
            return call()
        except Transient:
            if attempt == options.max_retries:
                raise
            progress.retries += 1
            sleep(delay)
            delay = min(delay * 2, options.max_backoff)
    raise AssertionError("unreachable")


def _rewrite_one(client: SecretsClient, obj: dict[str, Any], options: RewriteOptions, progress: Progress,
                 sleep: Callable[[float], None]) -> tuple[str, str]:
    meta = _meta(obj)
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    listed_uid, listed_rv = meta.get("uid"), meta.get("resourceVersion")
    body = dict(obj, apiVersion="v1", kind="Secret")
    try:
        for _ in range(options.max_conflicts + 1):
            try:
                _retrying(lambda: client.replace(namespace, name, body), options, progress, sleep)  # noqa: B023
                return REWRITTEN, ""
            except Conflict:
                progress.conflicts += 1
                current = _retrying(lambda: client.get(namespace, name), options, progress, sleep)
                cur_meta = _meta(current)
                if cur_meta.get("uid") != listed_uid or cur_meta.get("resourceVersion") != listed_rv:
                    return CHANGED, ""
                body = dict(current, apiVersion="v1", kind="Secret")
        return FAILED, f"still conflicting after {options.max_conflicts} re-reads"
    except NotFound:
        return GONE, ""
    except Transient as exc:
        return FAILED, f"gave up after {options.max_retries} retries: {exc}"
    except Permanent as exc:
        return FAILED, str(exc)


def run_rewrite(client: SecretsClient, options: RewriteOptions, *,
                progress: Callable[[Progress], None] | None = None,
                sleep: Callable[[float], None] = time.sleep) -> RewriteSummary:
    """List the selected Secrets, then PUT each back; journal, retry and count as the module says."""
    state = StateFile(options.state_file, options.selection()) if options.state_file else None
    tracker = Progress(total=0)
    failures: list[tuple[str, str, str]] = []
    try:
        items = _list_all(client, options, tracker, sleep)
        tracker.total = len(items)
        for obj in _ordered(items):
            meta = _meta(obj)
            key = (str(meta.get("namespace", "")), str(meta.get("name", "")))
            uid = str(meta.get("uid", ""))
            if state is not None and state.done.get(key) == uid:
                tracker.done += 1
                tracker.skipped += 1
                continue
            result, reason = _rewrite_one(client, obj, options, tracker, sleep)
            tracker.counts[result] += 1
            tracker.done += 1
            if result == FAILED:
                failures.append((key[0], key[1], reason))
            if state is not None:
                state.record(key[0], key[1], uid, result)
            if progress is not None:
                progress(tracker)
    finally:
        if state is not None:
            state.close()
    return RewriteSummary(tracker.total, dict(tracker.counts), tracker.skipped, tracker.conflicts, tracker.retries,
                          time.monotonic() - tracker.started, failures)


def _ordered(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Namespace then name: a stable order makes progress and resumption easy to follow."""
    yield from sorted(items, key=lambda o: (str(_meta(o).get("namespace", "")), str(_meta(o).get("name", ""))))
