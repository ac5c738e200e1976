"""The controller pod is hardened in every value set (Pod Security Standards "restricted")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.charts import rendering
from tests.charts.rendering import Rendered

SETS = list(rendering.VALUE_SETS)


def pod_spec(rendered: Rendered) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.one("Deployment")["spec"]["template"]["spec"]
    return spec


def assert_restricted_container(container: dict[str, Any], pod_security: dict[str, Any]) -> None:
    """The Pod Security Standards "restricted" profile, plus a read-only root filesystem."""
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc.get("privileged", False) is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    run_as_non_root = sc.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
    run_as_user = sc.get("runAsUser", pod_security.get("runAsUser"))
    assert run_as_non_root is True
    assert isinstance(run_as_user, int) and run_as_user > 0, "a numeric non-root user, checkable by the kubelet"
    seccomp = sc.get("seccompProfile", pod_security.get("seccompProfile"))
    assert seccomp == {"type": "RuntimeDefault"}
    for kind in ("requests", "limits"):
        assert set(container["resources"][kind]) >= {"cpu", "memory"}, kind


@pytest.mark.parametrize("value_set", SETS)
def test_controller_pod_is_hardened(renders: dict[str, Rendered], value_set: str) -> None:
    spec = pod_spec(renders[value_set])
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        assert not spec.get(field)
    assert all("hostPath" not in v for v in spec["volumes"])
    assert spec["securityContext"]["runAsNonRoot"] is True
    (container,) = spec["containers"]
    assert_restricted_container(container, spec["securityContext"])
    assert all("hostPort" not in p for p in container["ports"])


@pytest.mark.parametrize("value_set", SETS)
def test_probes_hit_healthz_on_the_http_port(renders: dict[str, Rendered], value_set: str) -> None:
    (container,) = pod_spec(renders[value_set])["containers"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]


def test_tmp_is_a_small_writable_emptydir(default_render: Rendered) -> None:
    spec = pod_spec(default_render)
    (container,) = spec["containers"]
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    (tmp,) = [v for v in spec["volumes"] if v["name"] == "tmp"]
    assert tmp["emptyDir"]["sizeLimit"]


@pytest.mark.parametrize("value_set", SETS)
def test_image_is_pinned(renders: dict[str, Rendered], value_set: str) -> None:
    (container,) = pod_spec(renders[value_set])["containers"]
    image = container["image"]
    assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")), image
