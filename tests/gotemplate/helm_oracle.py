"""Helm's own Go template engine (via helm-python-sdk's embedded Helm) as an oracle.

All cases go into ONE chart: case ``i`` is the partial ``templates/_cI.tpl`` holding
the case text verbatim, and ``templates/cI.yaml`` runs it with
``{{ template "c/templates/_cI.tpl" .Values.data }}``, so inside the case ``.`` and
``$`` are the data map, as in the Sealed Secrets controller. Helm stops at the first
failing file, so failing cases are found by rendering, dropping the case the error
names, and rendering again: one render plus one per failing case.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

_CASE_IN_ERROR = re.compile(r"c/templates/_?c(\d+)\.(?:tpl|yaml)")


def render_all(cases: list[str], data: dict[str, str], workdir: Path) -> dict[int, tuple[bool, str]]:
    """Render every case; returns index -> (ok, output or error message)."""
    import helm_python as helm

    chart = workdir / "c"
    if chart.exists():
        shutil.rmtree(chart)
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: c\nversion: 0.1.0\n")
    live: set[int] = set()
    for i, text in enumerate(cases):
        (chart / "templates" / f"_c{i}.tpl").write_text(text, encoding="utf-8", newline="")
        (chart / "templates" / f"c{i}.yaml").write_text(
            f'{{{{- template "c/templates/_c{i}.tpl" .Values.data -}}}}', encoding="utf-8"
        )
        live.add(i)
    results: dict[int, tuple[bool, str]] = {}
    values: dict[str, Any] = {"data": data}
    while live:
        try:
            out = helm.Chart.load(str(chart)).render(values)
        except helm.HelmError as exc:
            msg = str(exc)
            m = _CASE_IN_ERROR.search(msg)
            if m is None or int(m.group(1)) not in live:
                raise AssertionError(f"cannot tell which case failed: {msg}") from None
            i = int(m.group(1))
            results[i] = (False, msg)
            live.discard(i)
            (chart / "templates" / f"_c{i}.tpl").unlink()
            (chart / "templates" / f"c{i}.yaml").unlink()
            continue
        for i in live:
            results[i] = (True, out.get(f"c/templates/c{i}.yaml", ""))
        break
    return results
