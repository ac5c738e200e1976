"""The controller gets exactly the access it needs, in exactly the places it needs it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts import rendering
from tests.charts.rendering import Rendered

SETS = list(rendering.VALUE_SETS)
ROLE_KINDS = ("ClusterRole", "Role")

# (apiGroup, resource) -> verbs, for wherever the controller unseals.
# sealer_controller's API calls: kopf list+watch on SealedSecrets, GET of one, PATCH of /status;
# Secrets listed and watched (to recreate deleted ones), GET, POST and PUT; events POSTed.
UNSEALER = {
    ("bitnami.com", "sealedsecrets"): {"get", "list", "watch"},
    ("bitnami.com", "sealedsecrets/status"): {"patch"},
    ("", "secrets"): {"get", "list", "watch", "create", "update"},
    ("", "events"): {"create"},
}
KEY_ADMIN = {("", "secrets"): {"get", "list", "watch", "create"}}
SERVICE_PROXIER = {("", "services"): {"get"}, ("", "services/proxy"): {"get", "create"}}
# Verbs that hand out more than they name.
DANGEROUS_VERBS = {"*", "escalate", "bind", "impersonate"}


def grants(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def roles(rendered: Rendered) -> list[dict[str, Any]]:
    return [o for o in rendered.objects if o["kind"] in ROLE_KINDS]


@pytest.mark.parametrize("value_set", SETS)
def test_no_wildcards_anywhere(renders: dict[str, Rendered], value_set: str) -> None:
    for role in roles(renders[value_set]):
        for rule in role["rules"]:
            assert "nonResourceURLs" not in rule
            for field in ("apiGroups", "resources", "verbs", "resourceNames"):
                assert not any("*" in item for item in rule.get(field, [])), (role["metadata"]["name"], rule)
            assert not DANGEROUS_VERBS & set(rule["verbs"]), rule


def test_cluster_wide_mode(default_render: Rendered) -> None:
    (cluster_role,) = default_render.of_kind("ClusterRole")
    assert grants(cluster_role) == UNSEALER
    assert all("resourceNames" not in r for r in cluster_role["rules"])


def test_key_secrets_only_in_the_controller_namespace(renders: dict[str, Rendered]) -> None:
    for value_set, namespace in (("default", "kube-system"), ("namespace-override", "sealed-secrets")):
        rendered = renders[value_set]
        key_admin = [r for r in rendered.of_kind("Role") if r["metadata"]["name"].endswith("-key-admin")]
        assert len(key_admin) == 1
        assert key_admin[0]["metadata"]["namespace"] == namespace
        assert grants(key_admin[0]) == KEY_ADMIN


def test_service_proxier_is_limited_to_this_service(default_render: Rendered) -> None:
    (proxier,) = [r for r in default_render.of_kind("Role") if r["metadata"]["name"].endswith("-service-proxier")]
    assert grants(proxier) == SERVICE_PROXIER
    names = {n for rule in proxier["rules"] for n in rule["resourceNames"]}
    assert names == {
        "sealed-secrets-controller",
        "http:sealed-secrets-controller:",
        "http:sealed-secrets-controller:http",
    }
    (binding,) = [
        b for b in default_render.of_kind("RoleBinding") if b["roleRef"]["name"] == proxier["metadata"]["name"]
    ]
    assert binding["subjects"] == [
        {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}
    ]


def test_watched_namespaces_get_roles_not_a_cluster_role(renders: dict[str, Rendered]) -> None:
    rendered = renders["watch-namespaces"]
    assert rendered.of_kind("ClusterRole") == [] and rendered.of_kind("ClusterRoleBinding") == []
    unsealers = [r for r in rendered.of_kind("Role") if r["metadata"]["name"] == "sealed-secrets-controller"]
    # The controller also watches its own namespace, as sealer_controller.settings says.
    assert sorted(r["metadata"]["namespace"] for r in unsealers) == ["kube-system", "team-a", "team-b"]
    for role in unsealers:
        assert grants(role) == UNSEALER


@pytest.mark.parametrize("value_set", SETS)
def test_secret_write_access_is_only_where_the_controller_unseals(renders: dict[str, Rendered], value_set: str) -> None:
    values = rendering.VALUE_SETS[value_set][0]
    watched = values.get("controller", {}).get("watchNamespaces")
    for role in roles(renders[value_set]):
        writes = grants(role).get(("", "secrets"), set()) & {"update", "patch", "delete", "deletecollection"}
        if not writes:
            continue
        if watched:
            allowed = [*watched, renders[value_set].one("Deployment")["metadata"]["namespace"]]
            assert role["kind"] == "Role" and role["metadata"]["namespace"] in allowed, role["metadata"]
        else:
            assert role["kind"] == "ClusterRole", role["metadata"]


@pytest.mark.parametrize("value_set", SETS)
def test_bindings_tie_existing_roles_to_the_pod_service_account(renders: dict[str, Rendered], value_set: str) -> None:
    rendered = renders[value_set]
    deployment = rendered.one("Deployment")
    account = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    namespace = deployment["metadata"]["namespace"]
    assert rendered.one("ServiceAccount", account)["metadata"]["namespace"] == namespace
    defined = {(r["kind"], r["metadata"]["name"], r["metadata"].get("namespace")) for r in roles(rendered)}
    bindings = rendered.of_kind("ClusterRoleBinding") + rendered.of_kind("RoleBinding")
    assert bindings
    for binding in bindings:
        ref = binding["roleRef"]
        scope = None if ref["kind"] == "ClusterRole" else binding["metadata"]["namespace"]
        assert (ref["kind"], ref["name"], scope) in defined, ref
        if binding["metadata"]["name"].endswith("-service-proxier"):
            continue
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": namespace}]
    bound = {(b["roleRef"]["kind"], b["roleRef"]["name"], b["metadata"].get("namespace")) for b in bindings}
    assert defined == bound, "every role is bound exactly where it is defined"
