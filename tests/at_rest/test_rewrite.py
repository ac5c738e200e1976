"""rewrite-secrets against the KMock-based emulator: hundreds of Secrets, conflicts, 5xx, interruption, resume."""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sealer.cli.main import run
from sealer.encryption_at_rest.rewrite import CHANGED, GONE, REWRITTEN, Progress, RewriteOptions, run_rewrite
from sealer.errors import InputError
from sealer.kube.secrets_rewrite import KubeSecretsClient
from tests.support.kube_emulator import SECRETS, KubeEmulator

COUNT = 300
NAMESPACES = ("alpha", "beta", "gamma")


def _create(url: str, namespace: str, name: str, labels: dict[str, str]) -> None:
    body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "data": {"password": base64.b64encode(f"pw-{namespace}-{name}".encode()).decode()}}
    request = urllib.request.Request(f"{url}/api/v1/namespaces/{namespace}/secrets", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request) as response:
        assert response.status == 201


@pytest.fixture
def emu() -> Iterator[KubeEmulator]:
    with KubeEmulator() as emulator:
        emulator.record_writes(False)
        for i in range(COUNT):
            ns = NAMESPACES[i % len(NAMESPACES)]
            _create(emulator.url, ns, f"s{i:04d}", {"tier": "db" if i % 10 == 0 else "web"})
        emulator.record_writes(True)
        yield emulator


def _client(emu: KubeEmulator) -> KubeSecretsClient:
    return KubeSecretsClient(emu.api_client())


def _no_sleep(_: float) -> None:
    pass


def _snapshot(emu: KubeEmulator) -> dict[tuple[str, str], Any]:
    return {(o["metadata"]["namespace"], o["metadata"]["name"]): o["data"] for o in emu.list(SECRETS)}


def test_rewrites_every_secret_once_and_loses_nothing(emu: KubeEmulator) -> None:
    before = _snapshot(emu)
    seen: list[int] = []
    summary = run_rewrite(_client(emu), RewriteOptions(page_size=64), progress=lambda p: seen.append(p.done))
    puts = emu.writes(verb="PUT", resource=SECRETS)
    assert sorted((w.namespace, w.name) for w in puts) == sorted(before)
    assert all(w.body["metadata"]["resourceVersion"] for w in puts)  # optimistic concurrency on every write
    assert summary.counts[REWRITTEN] == COUNT and summary.ok and summary.total == COUNT
    assert _snapshot(emu) == before
    assert seen == list(range(1, COUNT + 1))


def test_selection_by_namespace_and_label(emu: KubeEmulator) -> None:
    summary = run_rewrite(_client(emu), RewriteOptions(namespace="alpha", label_selector="tier=db"))
    names = {w.name for w in emu.writes(verb="PUT")}
    expected = {f"s{i:04d}" for i in range(COUNT) if i % 3 == 0 and i % 10 == 0}
    assert names == expected and summary.counts[REWRITTEN] == len(expected)


def test_conflicts_are_reread_and_a_changed_secret_counts_as_rewritten(emu: KubeEmulator) -> None:
    fault = emu.inject_errors(409, count=2, verb="PUT", resource=SECRETS, name="s0001")
    client = _client(emu)

    class Racing(KubeSecretsClient):
        """Someone edits s0002 after our list and deletes s0003 before we get to them."""

        def replace(self, namespace: str, name: str, obj: dict[str, Any]) -> dict[str, Any]:
            if name == "s0002":
                current = client.get(namespace, name)
                current["data"]["extra"] = "eA=="
                client.replace(namespace, name, current)
            if name == "s0003":
                request = urllib.request.Request(f"{emu.url}/api/v1/namespaces/{namespace}/secrets/{name}",
                                                 method="DELETE")
                urllib.request.urlopen(request).close()
            return super().replace(namespace, name, obj)

    summary = run_rewrite(Racing(emu.api_client()), RewriteOptions(), sleep=_no_sleep)
    assert fault.hits == 2
    assert summary.conflicts == 3  # two injected on s0001, one real on s0002
    assert summary.counts == {REWRITTEN: COUNT - 2, CHANGED: 1, GONE: 1, "failed": 0}
    assert emu.get(SECRETS, "gamma", "s0002")["data"]["extra"] == "eA=="  # the other writer's change survives


def test_transient_errors_are_retried_then_reported(emu: KubeEmulator) -> None:
    emu.inject_errors(503, count=3, verb="PUT", resource=SECRETS, name="s0004")
    emu.inject_errors(500, count=1000, verb="PUT", resource=SECRETS, name="s0005")
    emu.inject_errors(503, count=1, verb="GET", resource=SECRETS)  # the first list page too
    delays: list[float] = []
    summary = run_rewrite(_client(emu), RewriteOptions(max_retries=4, backoff=0.5), sleep=delays.append)
    assert summary.failures == [("gamma", "s0005", "gave up after 4 retries: HTTP 500: injected 500 by the test")]
    assert summary.counts[REWRITTEN] == COUNT - 1
    assert summary.retries == 1 + 3 + 4
    assert delays[:1] == [0.5] and max(delays) == 4.0  # exponential backoff


def test_interruption_resumes_from_the_state_file(emu: KubeEmulator, tmp_path: Path) -> None:
    state = tmp_path / "state"
    options = RewriteOptions(state_file=str(state))

    def interrupt(p: Progress) -> None:
        if p.done == 120:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_rewrite(_client(emu), options, progress=interrupt)
    assert state.stat().st_mode & 0o777 == 0o600
    assert len(state.read_text().splitlines()) == 1 + 120
    with state.open("a") as handle:
        handle.write('{"namespace": "alpha", "na')  # a line cut short by a crash is ignored
    summary = run_rewrite(_client(emu), options)
    assert summary.skipped == 120 and summary.counts[REWRITTEN] == COUNT - 120
    put_names = [w.name for w in emu.writes(verb="PUT")]
    assert sorted(set(put_names)) == sorted(f"s{i:04d}" for i in range(COUNT)) and len(put_names) == COUNT
    with pytest.raises(InputError, match="another selection"):
        run_rewrite(_client(emu), RewriteOptions(state_file=str(state), namespace="beta"))


def test_cli_progress_summary_and_exit_codes(emu: KubeEmulator, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig")
    state = tmp_path / "rw.state"
    assert run(["rewrite-secrets", "--kubeconfig", str(kubeconfig), "--state", str(state), "--summary-json"]) == 0
    out, err = capsys.readouterr()
    assert f"{COUNT}/{COUNT}" in err and "/s" in err and f"{COUNT} Secrets: {COUNT} rewritten" in err
    assert err.count("\n") >= 10  # one progress line per 10% when not on a terminal
    assert json.loads(out)["counts"]["rewritten"] == COUNT
    assert not state.exists()  # a clean run removes its journal
    assert "pw-" not in out + err and "cHct" not in out + err  # values never printed
    emu.inject_errors(500, count=1000, verb="PUT", resource=SECRETS, name="s0007")
    code = run(["rewrite-secrets", "--kubeconfig", str(kubeconfig), "--state", str(state), "-n", "beta",
                "--retries", "2"])
    assert code == 1 and state.exists()
    assert "1 Secrets were not rewritten" in capsys.readouterr().err
