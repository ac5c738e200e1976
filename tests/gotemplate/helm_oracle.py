"""Helm's own Go template engine (via helm-python-sdk's embedded Helm) as an oracle.

Case ``i`` becomes the partial ``templates/_cI.tpl`` holding the case text verbatim,
and ``templates/cI.yaml`` runs it with ``{{ template "c/templates/_cI.tpl" .Values.data }}``,
so inside the case ``.`` and ``$`` are the data map, as in the Sealed Secrets controller.

Helm stops at the first failing file, so one chart cannot report several failures.
The cases expected to render go into ONE chart (a failure there is taken out by the
name in Helm's message and the rest rendered again); the cases expected to fail are
rendered one per tiny chart, which costs about a millisecond each. The expectation only
decides the grouping: every verdict is Helm's.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterable
from typing import Any

_CASE_IN_ERROR = re.compile(r"c/templates/_?c(\d+)\.(?:tpl|yaml)")


def _chart(cases: Iterable[tuple[int, str]]) -> dict[str, bytes]:
    files = {"c/Chart.yaml": b"apiVersion: v2\nname: c\nversion: 0.1.0\n"}
    for i, text in cases:
        files[f"c/templates/_c{i}.tpl"] = text.encode("utf-8")
        files[f"c/templates/c{i}.yaml"] = f'{{{{- template "c/templates/_c{i}.tpl" .Values.data -}}}}'.encode()
    return files


def _archive(files: dict[str, bytes]) -> bytes:
    """The chart as a .tgz in memory: no files on disk, so a render costs only Helm's own work."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def render_all(
    cases: list[str], data: dict[str, str], expect_ok: list[bool] | None = None
) -> dict[int, tuple[bool, str]]:
    """Render every case; returns index -> (ok, output or Helm's error message)."""
    import helm_python as helm

    values: dict[str, Any] = {"data": data}
    results: dict[int, tuple[bool, str]] = {}
    expect = expect_ok if expect_ok is not None else [True] * len(cases)
    live = {i for i in range(len(cases)) if expect[i]}
    batch = _chart((i, cases[i]) for i in sorted(live))
    while live:
        try:
            out = helm.Chart.load_archive(_archive(batch)).render(values)
        except helm.HelmError as exc:
            msg = str(exc)
            m = _CASE_IN_ERROR.search(msg)
            if m is None or int(m.group(1)) not in live:
                raise AssertionError(f"cannot tell which case failed: {msg}") from None
            i = int(m.group(1))
            results[i] = (False, msg)
            live.discard(i)
            del batch[f"c/templates/_c{i}.tpl"], batch[f"c/templates/c{i}.yaml"]
            continue
        for i in live:
            results[i] = (True, out.get(f"c/templates/c{i}.yaml", ""))
        break
    for i in range(len(cases)):
        if expect[i]:
            continue
        try:
            out = helm.Chart.load_archive(_archive(_chart([(i, cases[i])]))).render(values)
        except helm.HelmError as exc:
            results[i] = (False, str(exc))
        else:
            results[i] = (True, out.get(f"c/templates/c{i}.yaml", ""))
    return results
