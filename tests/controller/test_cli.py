"""``sealer-controller``: Bitnami's flag names and defaults, environment overrides, bad values, and the real process."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kubernetes import client
from sealer_controller.__main__ import build_parser, run_cli, settings_from_args
from sealer_controller.settings import own_namespace

from sealer.errors import ExitCode
from sealer.keys.key_secrets import KEY_LABEL
from tests.support.controller_harness import sealed_secret, synced, wait_for
from tests.support.kube_emulator import SECRETS, KubeEmulator
from tests.support.ports import free_port

BITNAMI_FLAGS = [
    "--key-prefix", "--key-size", "--key-ttl", "--my-cn", "--key-renew-period", "--key-cutoff-time",
    "--all-namespaces", "--additional-namespaces", "--label-selector", "--rate-limit", "--rate-limit-burst",
    "--privatekey-annotations", "--privatekey-labels", "--update-status", "--watch-for-secrets", "--skip-recreate",
    "--accept-deprecated-v1-data", "--max-unseal-retries", "--listen-addr", "--listen-metrics-addr",
    "--log-level", "--log-format", "--log-info-stdout", "--key-order-priority",
]


def test_help_lists_the_bitnami_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in [*BITNAMI_FLAGS, "--namespaces", "--kubeconfig", "--server"]:
        assert flag in out, flag


def test_defaults_match_bitnami(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    settings = settings_from_args(build_parser().parse_args([]))
    assert settings.key_prefix == "sealed-secrets-key"
    assert settings.key_renew_period == dt.timedelta(hours=720)
    assert settings.key_ttl == dt.timedelta(hours=87600)
    assert settings.key_size == 4096 and settings.key_cutoff_time is None
    assert (settings.listen_addr, settings.listen_metrics_addr) == (":8080", ":8081")
    assert settings.update_status and settings.all_namespaces and settings.watched_namespaces is None
    assert settings.key_namespace == own_namespace()


def test_key_namespace_is_found_as_bitnami_finds_it(tmp_path: Path) -> None:
    sa_file = tmp_path / "namespace"
    assert own_namespace({}, sa_file=sa_file) == "kube-system"  # kubeseal's default controller namespace
    sa_file.write_text("from-service-account\n")
    assert own_namespace({}, sa_file=sa_file) == "from-service-account"
    assert own_namespace({"POD_NAMESPACE": "from-env"}, sa_file=sa_file) == "from-env"


def test_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_NAMESPACE", "sealing")
    monkeypatch.setenv("SEALED_SECRETS_KEY_PREFIX", "from-env")
    args = build_parser().parse_args([
        "--key-renew-period=0", "--key-cutoff-time=Mon, 02 Jan 2006 15:04:05 -0700", "--update-status=false",
        "--all-namespaces=false", "--additional-namespaces=a,b", "--log-level=debug",
        "--privatekey-labels=team=sec", "--rotate-period=1h30m",
    ])
    settings = settings_from_args(args)
    assert settings.key_prefix == "from-env" and settings.key_namespace == "sealing"
    assert settings.key_renew_period == dt.timedelta(hours=1, minutes=30)  # the deprecated alias wins, as in pflag
    assert settings.key_cutoff_time == dt.datetime(2006, 1, 2, 15, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=-7)))
    assert settings.update_status is False and settings.log_level == "DEBUG"
    assert settings.watched_namespaces == ("sealing", "a", "b")
    assert settings.private_key_labels == {"team": "sec"}
    only = settings_from_args(build_parser().parse_args(["--namespaces=x,y"]))
    assert set(only.watched_namespaces or ()) == {"sealing", "x", "y"}


@pytest.mark.parametrize(
    ("argv", "code", "fragment"),
    [
        (["--key-renew-period=30d"], ExitCode.INPUT, "unknown unit"),
        (["--key-renew-period=-1h"], ExitCode.INPUT, "negative"),
        (["--key-cutoff-time=2024-01-01"], ExitCode.INPUT, "RFC 1123"),
        (["--key-size=1024"], ExitCode.INPUT, "at least 2048"),
        (["--key-order-priority=SecretCreationTimestamp"], ExitCode.INPUT, "not supported"),
        (["--update-status=maybe"], ExitCode.USAGE, "not a boolean"),
    ],
)
def test_bad_flags_are_refused(argv: list[str], code: int, fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(argv) == code
    assert fragment in capsys.readouterr().err


def test_the_process_unseals_makes_a_key_on_sigusr1_and_stops_on_sigterm(tmp_path: Path) -> None:
    with KubeEmulator() as emu:
        kubeconfig = emu.write_kubeconfig(tmp_path / "kubeconfig")
        http, metrics = free_port(), free_port()
        env = dict(os.environ, POD_NAMESPACE="proc-keys")
        process = subprocess.Popen(
            [sys.executable, "-m", "sealer_controller", f"--kubeconfig={kubeconfig}", "--key-size=2048",
             f"--listen-addr=127.0.0.1:{http}", f"--listen-metrics-addr=127.0.0.1:{metrics}",
             "--namespaces=proc", "--log-level=INFO"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        try:
            def cert() -> bytes | None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{http}/v1/cert.pem", timeout=2) as response:
                        return bytes(response.read())
                except OSError:
                    return None

            pem = wait_for(cert, timeout=30, what="controller HTTP API")
            custom = client.CustomObjectsApi(emu.api_client())
            custom.create_namespaced_custom_object("bitnami.com", "v1alpha1", "proc", "sealedsecrets",
                                                   sealed_secret("proc", "s", {"k": b"v"}, pem))
            assert wait_for(lambda: synced(emu, "proc", "s"), what="Synced")["status"] == "True"
            keys = lambda: [s for s in emu.list(SECRETS, "proc-keys") if KEY_LABEL in s["metadata"]["labels"]]  # noqa: E731
            assert len(keys()) == 1
            time.sleep(1.1)  # NotBefore has 1 s resolution; a key made in the same second ties (Bitnami: first wins)
            process.send_signal(signal.SIGUSR1)
            wait_for(lambda: len(keys()) == 2, timeout=20, what="key made on SIGUSR1")
            wait_for(lambda: cert() not in (None, pem), timeout=10, what="new sealing certificate")
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            output = process.stdout.read().decode() if process.stdout else ""
        assert "new sealing key" in output
