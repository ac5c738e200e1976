"""Run the real operator (kopf + our handlers) in a background thread against the emulator.

Like ``kopf.testing.KopfRunner``, but it hands back the live :class:`Controller`
(counters, key ring, HTTP URLs) so tests can assert what happened inside as well
as what reached the API server.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sealer_controller import operator
from sealer_controller.settings import ControllerSettings

from sealer.crypto import rsa_keys
from sealer.formats.sealedsecret.scope import Scope, encryption_label, scope_annotations
from sealer.formats.sealedsecret.seal import seal_values
from tests.support.kube_emulator import KubeEmulator

T = TypeVar("T")
KEY_NAMESPACE = "kube-system"


class RunningOperator:
    """One operator run; ``stop()`` ends it (kopf cleanup handlers run)."""

    def __init__(self, emu: KubeEmulator, **overrides: Any) -> None:
        base = ControllerSettings(key_namespace=KEY_NAMESPACE, server=emu.url, listen_addr="127.0.0.1:0",
                                  listen_metrics_addr="127.0.0.1:0", rsa_workers=2)
        self.settings = dataclasses.replace(base, **overrides)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._holder: list[operator.Controller] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="operator-under-test", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(operator.run(self.settings, stop_flag=self._stop, ready=self._ready,
                                     controller_out=self._holder))
        except BaseException as exc:  # surfaced by start()/stop()
            self._error = exc
            self._ready.set()

    def start(self, timeout: float = 60.0) -> RunningOperator:
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError("operator did not start") from self._error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        if self._thread.is_alive():
            raise RuntimeError("operator did not stop")

    @property
    def controller(self) -> operator.Controller:
        return self._holder[0]

    def cert_pem(self) -> bytes:
        with urllib.request.urlopen(self.controller.http_url + "/v1/cert.pem", timeout=10) as response:
            return bytes(response.read())

    def metric(self, name: str) -> float:
        """One sample of the Prometheus exposition on the metrics port (summed over label sets)."""
        with urllib.request.urlopen(self.controller.metrics_url + "/metrics", timeout=10) as response:
            text = response.read().decode()
        total, found = 0.0, False
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
                found = True
        if not found:
            raise KeyError(name)
        return total


def wait_for(probe: Callable[[], T | None], *, timeout: float = 20.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def sealed_secret(namespace: str, name: str, values: Mapping[str, bytes], cert_pem: bytes, *,
                  scope: Scope = Scope.STRICT, template: Mapping[str, Any] | None = None,
                  seal_for: tuple[str, str] | None = None, annotations: Mapping[str, str] | None = None,
                  labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A SealedSecret as kubeseal makes it; ``seal_for`` seals for another ns/name (wrong scope)."""
    cert = rsa_keys.load_certificates_pem(cert_pem)[0]
    label_ns, label_name = seal_for or (namespace, name)
    encrypted = seal_values(values, cert, encryption_label(scope, label_ns, label_name))
    meta: dict[str, Any] = {"name": name, "namespace": namespace,
                            "annotations": {**scope_annotations(scope), **(annotations or {})}}
    if labels:
        meta["labels"] = dict(labels)
    spec: dict[str, Any] = {"encryptedData": encrypted}
    if template is not None:
        spec["template"] = dict(template)
    return {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": meta, "spec": spec}


def synced(emu: KubeEmulator, namespace: str, name: str) -> dict[str, Any] | None:
    """The Synced condition once the status was written for the current generation, else None."""
    from tests.support.kube_emulator import SEALED_SECRETS

    obj = emu.get(SEALED_SECRETS, namespace, name)
    if obj is None:
        return None
    status = obj.get("status") or {}
    if status.get("observedGeneration") != obj["metadata"].get("generation"):
        return None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Synced":
            return dict(condition)
    return None


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()
