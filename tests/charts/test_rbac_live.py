"""The chart's RBAC is exactly what the real controller uses, measured, not guessed.

The real operator runs against the KMock-based emulator with the settings the chart's rendered
container args give it (parsed by sealer-controller's own argument parser, POD_NAMESPACE from the
downward API). Every request it sends is recorded and turned into the RBAC attributes a real API
server would authorize (verb, API group, resource/subresource, namespace), then checked against
the chart's Roles and ClusterRoles bound to its ServiceAccount. The scenario touches every kind
of call the controller makes: first key creation, unsealing, an update, recreating a deleted
Secret, status and events. The emulator performs no authorization and no CRD validation itself (see
devcluster.py), which is why both are evaluated here: the rules, and the SealedSecrets with the
status the controller wrote, against the chart's CRD schema.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client
from sealer_controller.__main__ import build_parser, settings_from_args

from tests.charts import structural
from tests.charts.rendering import Rendered
from tests.support.controller_harness import RunningOperator, b64, sealed_secret, synced, wait_for
from tests.support.kube_emulator import SEALED_SECRETS, SECRETS, Emulator, KubeEmulator

Attribute = tuple[str, str, str, str | None]  # verb, apiGroup, resource[/subresource], namespace
TEST_CLIENT_AGENT = "OpenAPI-Generator"  # the kubernetes client the test itself drives the cluster with


def chart_settings(rendered: Rendered, monkeypatch: pytest.MonkeyPatch) -> Any:
    deployment = rendered.one("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    for name in [n for n in os.environ if n.startswith("SEALED_SECRETS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POD_NAMESPACE", deployment["metadata"]["namespace"])  # the downward API's value
    return settings_from_args(build_parser().parse_args(container["args"]))


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Attribute]:
    seen: list[Attribute] = []
    original = Emulator._handle

    async def recording(self: Emulator, request: Any) -> Any:
        agent = request.headers.get("User-Agent", "") if request.headers else ""
        res = request.resource
        if not agent.startswith(TEST_CLIENT_AGENT) and res is not None and res.plural is not None:
            method = str(request.method.value).upper()
            if method == "GET":
                verb = "watch" if request.params.get("watch") in ("true", "1") else "get" if request.name else "list"
            else:
                verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
            resource = res.plural + (f"/{request.subresource}" if request.subresource else "")
            seen.append((verb, res.group or "", resource, request.namespace))
        return await original(self, request)

    monkeypatch.setattr(Emulator, "_handle", recording)
    return seen


def allowed(rendered: Rendered, account: tuple[str, str]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """(rule, namespace or None for cluster-wide) for every rule bound to the ServiceAccount."""
    subject = {"kind": "ServiceAccount", "name": account[0], "namespace": account[1]}
    roles = {
        (o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")): o
        for o in rendered.objects
        if o["kind"] in ("Role", "ClusterRole")
    }
    for binding in rendered.of_kind("ClusterRoleBinding") + rendered.of_kind("RoleBinding"):
        if subject not in binding["subjects"]:
            continue
        scope = binding["metadata"].get("namespace")
        ref = binding["roleRef"]
        role = roles[(ref["kind"], ref["name"], None if ref["kind"] == "ClusterRole" else scope)]
        for rule in role["rules"]:
            yield rule, scope


def authorized(attribute: Attribute, rules: list[tuple[dict[str, Any], str | None]]) -> bool:
    verb, group, resource, namespace = attribute
    return any(
        verb in rule["verbs"]
        and group in rule["apiGroups"]
        and resource in rule["resources"]
        and "resourceNames" not in rule
        and (scope is None or scope == namespace)
        for rule, scope in rules
    )


def exercise(emu: KubeEmulator, op: RunningOperator, namespace: str) -> None:
    custom = client.CustomObjectsApi(emu.api_client())
    core = client.CoreV1Api(emu.api_client())
    cert = op.cert_pem()
    body = sealed_secret(namespace, "db", {"password": b"hunter2"}, cert)
    custom.create_namespaced_custom_object("bitnami.com", "v1alpha1", namespace, "sealedsecrets", body)
    wait_for(lambda: synced(emu, namespace, "db"), what="first unseal")
    core.delete_namespaced_secret("db", namespace)
    wait_for(lambda: emu.get(SECRETS, namespace, "db"), what="the deleted Secret to come back")
    current = custom.get_namespaced_custom_object("bitnami.com", "v1alpha1", namespace, "sealedsecrets", "db")
    current["spec"] = sealed_secret(namespace, "db", {"password": b"correct horse"}, cert)["spec"]
    custom.replace_namespaced_custom_object("bitnami.com", "v1alpha1", namespace, "sealedsecrets", "db", current)
    wait_for(
        lambda: (emu.get(SECRETS, namespace, "db") or {}).get("data", {}).get("password") == b64("correct horse"),
        what="the updated Secret",
    )
    bad = sealed_secret(namespace, "broken", {"password": b"x"}, cert, seal_for=(namespace, "other"))
    custom.create_namespaced_custom_object("bitnami.com", "v1alpha1", namespace, "sealedsecrets", bad)
    wait_for(lambda: synced(emu, namespace, "broken"), what="the failure status")


@pytest.mark.slow
@pytest.mark.parametrize(("value_set", "namespace"), [("default", "shop"), ("watch-namespaces", "team-a")])
def test_controller_needs_exactly_the_granted_access(
    renders: dict[str, Rendered],
    crd: dict[str, Any],
    recorded: list[Attribute],
    monkeypatch: pytest.MonkeyPatch,
    value_set: str,
    namespace: str,
) -> None:
    rendered = renders[value_set]
    settings = chart_settings(rendered, monkeypatch)
    deployment = rendered.one("Deployment")
    account = (deployment["spec"]["template"]["spec"]["serviceAccountName"], deployment["metadata"]["namespace"])
    rules = list(allowed(rendered, account))

    overrides = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    overrides.update(
        server=None, listen_addr="127.0.0.1:0", listen_metrics_addr="127.0.0.1:0", rsa_workers=2, key_size=2048
    )
    with KubeEmulator() as emu:
        overrides["server"] = emu.url
        op = RunningOperator(emu, **overrides).start()
        try:
            exercise(emu, op, namespace)
        finally:
            op.stop()
        written = [emu.get(SEALED_SECRETS, namespace, name) for name in ("db", "broken")]

    # The emulator does not validate against CRD schemas; what the controller wrote must pass ours.
    schema = structural.validator(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
    for obj in written:
        assert obj is not None and obj["status"]["conditions"][0]["type"] == "Synced"
        assert [e.message for e in schema.iter_errors(obj)] == []

    used = set(recorded)
    denied = sorted(a for a in used if not authorized(a, rules))
    assert denied == [], f"the chart's RBAC would refuse: {denied}"
    # And nothing granted goes unused: every verb on every granted resource was exercised somewhere.
    exercised = {(verb, group, resource) for verb, group, resource, _ in used}
    granted = {
        (verb, group, resource)
        for rule, _ in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
        if "resourceNames" not in rule
    }
    assert granted - exercised == set(), f"granted but never used: {sorted(granted - exercised)}"
