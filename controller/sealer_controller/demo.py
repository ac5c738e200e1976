"""``sealer-controller demo``: the whole in-cluster loop, with an emulated API server instead of a cluster.

1. start the emulated Kubernetes API (KMock, in this process, on 127.0.0.1);
2. start the real operator against it: it finds no key and generates one,
   stored as a Bitnami-shaped key Secret;
3. fetch the sealing certificate over the controller's HTTP API, as
   ``kubeseal --fetch-cert`` would;
4. seal a Secret with it (``sealer.api.seal``) and apply the SealedSecret;
5. wait for the Secret and the ``Synced`` condition, and print them
   (values are shown only as "matches": demo or not, we print no secrets).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import sys
import threading
import time
import urllib.request
from typing import Any

from sealer import api
from sealer_controller.settings import ControllerSettings

NAMESPACE = "demo"
NAME = "database-credentials"


def _http(method: str, url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError("the demo talks only to its own loopback servers")
    request = urllib.request.Request(  # noqa: S310 (checked above)
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own loopback server)
        raw = response.read()
    return json.loads(raw) if raw.strip().startswith(b"{") else raw


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sealer-controller demo", description=__doc__.splitlines()[0])
    parser.add_argument("--key-size", type=int, default=4096, help="bits of the generated key (default 4096)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the Secret")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kopf._core.reactor.running").setLevel(logging.ERROR)  # "OS signals are ignored" in a thread

    from sealer_controller import devcluster, operator  # kmock and kopf: only when the demo runs

    with devcluster.KubeEmulator() as emu:
        say(f"1. emulated Kubernetes API server at {emu.url}")
        settings = ControllerSettings(key_namespace="kube-system", server=emu.url, key_size=args.key_size,
                                      listen_addr="127.0.0.1:0", listen_metrics_addr="127.0.0.1:0")
        stop, ready = threading.Event(), threading.Event()
        holder: list[operator.Controller] = []
        thread = threading.Thread(
            target=lambda: asyncio.run(operator.run(settings, stop_flag=stop, ready=ready, controller_out=holder)),
            name="sealer-controller", daemon=True,
        )
        started = time.monotonic()
        thread.start()
        if not ready.wait(args.timeout):
            say("the controller did not start")
            return 1
        controller = holder[0]
        keys = emu.list(devcluster.SECRETS, "kube-system")
        say(f"2. controller started in {time.monotonic() - started:.1f}s; key Secret(s) in kube-system: "
            + ", ".join(k["metadata"]["name"] for k in keys)
            + f" (type {keys[0]['type']}, label {next(iter(keys[0]['metadata']['labels']))})")
        pem = _http("GET", controller.http_url + "/v1/cert.pem")
        say(f"3. GET {controller.http_url}/v1/cert.pem -> {len(pem)} bytes of PEM certificate")
        plain = {"username": "app", "password": "demo-password-123"}
        secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret",
                                  "metadata": {"name": NAME, "namespace": NAMESPACE}, "stringData": plain}
        sealed = json.loads(api.seal(json.dumps(secret).encode(), certificate=pem))
        items = sorted(sealed["spec"]["encryptedData"])
        say(f"4. sealed {NAMESPACE}/{NAME}: encryptedData keys {items}; applying it")
        applied_at = time.monotonic()
        _http("POST", f"{emu.url}/apis/bitnami.com/v1alpha1/namespaces/{NAMESPACE}/sealedsecrets", sealed)
        deadline = time.monotonic() + args.timeout
        status: dict[str, Any] = {}
        while time.monotonic() < deadline:
            status = (emu.get(devcluster.SEALED_SECRETS, NAMESPACE, NAME) or {}).get("status") or {}
            if status.get("conditions"):
                break
            time.sleep(0.05)
        unsealed = emu.get(devcluster.SECRETS, NAMESPACE, NAME) or {}
        condition = (status.get("conditions") or [{}])[0]
        say(f"5. after {time.monotonic() - applied_at:.2f}s: Secret {NAMESPACE}/{NAME} "
            f"{'exists' if unsealed else 'is MISSING'}, owned by "
            f"{[r['kind'] + '/' + r['name'] for r in unsealed.get('metadata', {}).get('ownerReferences', [])]}")
        data = unsealed.get("data") or {}
        for key, text in sorted(plain.items()):
            matches = base64.b64decode(data.get(key, "")) == text.encode()
            say(f"   data[{key!r}]: {'matches what was sealed' if matches else 'DOES NOT MATCH'}")
        say(f"   status.conditions[0]: type={condition.get('type')} status={condition.get('status')} "
            f"reason={condition.get('reason')} observedGeneration={status.get('observedGeneration')}")
        say(f"   RSA operations: {controller.ring.rsa_operations}")
        stop.set()
        thread.join(15)
        ok = bool(unsealed) and condition.get("status") == "True"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
