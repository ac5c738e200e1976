"""The test harness itself: the API-server behaviours the controller tests rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from tests.support.kube_emulator import SEALED_SECRETS, SECRETS, KubeEmulator


@pytest.fixture(scope="module")
def emu() -> Iterator[KubeEmulator]:
    with KubeEmulator() as running:
        yield running


def test_create_fills_metadata_and_generate_name(emu: KubeEmulator) -> None:
    core = client.CoreV1Api(emu.api_client())
    made = core.create_namespaced_secret("e1", {"metadata": {"generateName": "key-"}, "data": {"a": "YQ=="}})
    assert made.metadata.name.startswith("key-") and len(made.metadata.name) == len("key-") + 5
    assert made.metadata.uid and made.metadata.resource_version and made.metadata.creation_timestamp
    assert made.metadata.namespace == "e1"
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_secret("e1", {"metadata": {"name": made.metadata.name}})
    assert exc.value.status == 409


def test_put_patch_and_stale_resource_version(emu: KubeEmulator) -> None:
    core = client.CoreV1Api(emu.api_client())
    core.create_namespaced_secret("e2", {"metadata": {"name": "s"}, "data": {"a": "YQ=="}})
    core.patch_namespaced_secret("s", "e2", {"metadata": {"labels": {"x": "y"}}})
    current = core.read_namespaced_secret("s", "e2")
    current.data = {"b": "Yg=="}
    replaced = core.replace_namespaced_secret("s", "e2", current)
    assert replaced.data == {"b": "Yg=="} and replaced.metadata.labels == {"x": "y"}
    current.metadata.resource_version = "1"
    with pytest.raises(ApiException) as exc:
        core.replace_namespaced_secret("s", "e2", current)
    assert exc.value.status == 409
    assert [s.metadata.name for s in core.list_namespaced_secret("e2", label_selector="x=y").items] == ["s"]
    assert core.list_namespaced_secret("e2", label_selector="x=z").items == []


def test_status_subresource_and_generation(emu: KubeEmulator) -> None:
    custom = client.CustomObjectsApi(emu.api_client())
    args = ("bitnami.com", "v1alpha1", "e3", "sealedsecrets")
    body = {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret", "metadata": {"name": "a"},
            "spec": {"encryptedData": {"k": "v"}}, "status": {"ignored": True}}
    made = custom.create_namespaced_custom_object(*args, body)
    assert "status" not in made and made["metadata"]["generation"] == 1
    after = custom.patch_namespaced_custom_object_status(*args, "a", {"status": {"ok": 1}, "spec": {"x": 1}})
    assert after["status"] == {"ok": 1} and after["spec"] == {"encryptedData": {"k": "v"}}
    assert after["metadata"]["generation"] == 1
    after = custom.patch_namespaced_custom_object(*args, "a", {"spec": {"encryptedData": {"k": "w"}}, "status": {}})
    assert after["metadata"]["generation"] == 2 and after["status"] == {"ok": 1}


def test_injected_errors_do_not_touch_the_store(emu: KubeEmulator) -> None:
    core = client.CoreV1Api(emu.api_client())
    fault = emu.inject_errors(500, 2, verb="POST", resource=SECRETS)
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            core.create_namespaced_secret("e4", {"metadata": {"name": "s"}})
        assert exc.value.status == 500
    assert emu.get(SECRETS, "e4", "s") is None
    core.create_namespaced_secret("e4", {"metadata": {"name": "s"}})
    assert fault.hits == 2 and fault.remaining == 0
    assert emu.get(SECRETS, "e4", "s") is not None


def test_watch_resumes_from_resource_version(emu: KubeEmulator) -> None:
    custom = client.CustomObjectsApi(emu.api_client())
    args = ("bitnami.com", "v1alpha1", "e5", "sealedsecrets")
    for name in ("a", "b"):
        custom.create_namespaced_custom_object(*args, {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                                                       "metadata": {"name": name}, "spec": {}})
    listing = custom.list_namespaced_custom_object(*args)
    rv = listing["metadata"]["resourceVersion"]
    custom.delete_namespaced_custom_object(*args, "a")
    events = [
        (e["type"], e["object"]["metadata"]["name"])
        for e in watch.Watch().stream(custom.list_namespaced_custom_object, *args, resource_version=rv,
                                      timeout_seconds=1)
    ]
    assert events == [("DELETED", "a")]
    assert [o["metadata"]["name"] for o in emu.list(SEALED_SECRETS, "e5")] == ["b"]


def test_kubeconfig_file_works_with_the_official_loader(emu: KubeEmulator, tmp_path: Path) -> None:
    path = emu.write_kubeconfig(tmp_path / "kubeconfig", namespace="e6")
    api = config.new_client_from_config(config_file=str(path))
    client.CoreV1Api(api).create_namespaced_secret("e6", {"metadata": {"name": "via-kubeconfig"}})
    assert emu.writes(resource=SECRETS, verb="POST")[-1].name is None  # POST carries the name in the body
    assert emu.get(SECRETS, "e6", "via-kubeconfig") is not None


def test_garbage_collection_by_owner_references(emu: KubeEmulator) -> None:
    core = client.CoreV1Api(emu.api_client())
    owner_a = core.create_namespaced_config_map("e5", {"metadata": {"name": "a"}}).metadata.uid
    owner_b = core.create_namespaced_config_map("e5", {"metadata": {"name": "b"}}).metadata.uid

    def ref(name: str, uid: str) -> dict[str, str]:
        return {"apiVersion": "v1", "kind": "ConfigMap", "name": name, "uid": uid}

    core.create_namespaced_secret("e5", {"metadata": {"name": "only-a", "ownerReferences": [ref("a", owner_a)]}})
    core.create_namespaced_secret("e5", {"metadata": {"name": "both", "ownerReferences": [ref("a", owner_a),
                                                                                            ref("b", owner_b)]}})
    core.create_namespaced_secret("e5", {"metadata": {"name": "free"}})
    core.delete_namespaced_config_map("a", "e5")
    assert emu.get(SECRETS, "e5", "only-a") is None  # its only owner is gone
    assert emu.get(SECRETS, "e5", "both")["metadata"]["ownerReferences"] == [ref("b", owner_b)]  # type: ignore[index]
    assert emu.get(SECRETS, "e5", "free") is not None
    core.delete_namespaced_config_map("b", "e5", body=client.V1DeleteOptions(propagation_policy="Orphan"))
    orphaned = emu.get(SECRETS, "e5", "both")
    assert orphaned is not None and "ownerReferences" not in orphaned["metadata"]


def test_orphan_propagation_as_a_query_parameter(emu: KubeEmulator) -> None:
    """``propagation_policy=`` travels in the query string (no body), as kubectl's --cascade=orphan can."""
    core = client.CoreV1Api(emu.api_client())
    owner = core.create_namespaced_config_map("e7", {"metadata": {"name": "o"}}).metadata.uid
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": owner}
    core.create_namespaced_secret("e7", {"metadata": {"name": "dep", "ownerReferences": [ref]}})
    core.delete_namespaced_config_map("o", "e7", propagation_policy="Orphan")
    kept = emu.get(SECRETS, "e7", "dep")
    assert kept is not None and "ownerReferences" not in kept["metadata"]


def test_a_dependent_of_two_owners_that_go_in_one_cascade_is_collected(emu: KubeEmulator) -> None:
    """``b`` is owned by the ConfigMap and by ``a``, which the ConfigMap also owns: deleting it removes all."""
    core = client.CoreV1Api(emu.api_client())
    top = core.create_namespaced_config_map("e8", {"metadata": {"name": "top"}}).metadata.uid

    def ref(kind: str, name: str, uid: str) -> dict[str, str]:
        return {"apiVersion": "v1", "kind": kind, "name": name, "uid": uid}

    a = core.create_namespaced_secret("e8", {"metadata": {"name": "a", "ownerReferences": [
        ref("ConfigMap", "top", top)]}}).metadata.uid
    core.create_namespaced_secret("e8", {"metadata": {"name": "b", "ownerReferences": [
        ref("ConfigMap", "top", top), ref("Secret", "a", a)]}})
    core.delete_namespaced_config_map("top", "e8")
    assert emu.get(SECRETS, "e8", "a") is None
    assert emu.get(SECRETS, "e8", "b") is None  # both its owners are gone


def test_paged_list_is_consistent_and_a_watch_replays_changes_made_while_paging(emu: KubeEmulator) -> None:
    core = client.CoreV1Api(emu.api_client())
    for i in range(7):
        core.create_namespaced_secret("e-pages", {"metadata": {"name": f"s{i}"}})
    first = core.list_namespaced_secret("e-pages", limit=3)
    assert [s.metadata.name for s in first.items] == ["s0", "s1", "s2"]
    core.delete_namespaced_secret("s0", "e-pages")  # already listed: must not shift the next page
    core.patch_namespaced_secret("s1", "e-pages", {"metadata": {"labels": {"changed": "yes"}}})
    second = core.list_namespaced_secret("e-pages", limit=3, _continue=first.metadata._continue)
    third = core.list_namespaced_secret("e-pages", limit=3, _continue=second.metadata._continue)
    assert [s.metadata.name for s in second.items + third.items] == ["s3", "s4", "s5", "s6"]
    assert not third.metadata._continue
    assert first.metadata.resource_version == second.metadata.resource_version == third.metadata.resource_version
    since = first.metadata.resource_version
    stream = watch.Watch().stream(core.list_namespaced_secret, "e-pages", resource_version=since, timeout_seconds=1)
    seen = [(event["type"], event["object"].metadata.name) for event in stream]
    assert seen == [("DELETED", "s0"), ("MODIFIED", "s1")]
