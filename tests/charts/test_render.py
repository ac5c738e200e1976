"""charts/sealer renders with Helm's engine, lints clean, and every object is valid Kubernetes.

Objects of kinds the Kubernetes schemas do not know (the Prometheus Operator's ServiceMonitor) are
checked structurally against what that operator needs.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest

from tests.charts import rendering
from tests.charts.rendering import Rendered

# The oldest version Chart.yaml's kubeVersion admits, and the newest schema set installed.
KUBE_VERSIONS = ("1.25", kubernetes_validate.utils.latest_version())
NOT_IN_KUBERNETES = {("monitoring.coreos.com/v1", "ServiceMonitor")}
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
SETS = list(rendering.VALUE_SETS)


@pytest.mark.parametrize("value_set", SETS)
def test_every_object_validates_against_kubernetes(renders: dict[str, Rendered], value_set: str) -> None:
    objects = renders[value_set].objects
    assert objects, "nothing rendered"
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in NOT_IN_KUBERNETES:
            continue
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(
                    f"{value_set}: {obj['kind']}/{obj['metadata']['name']} invalid for {version}: {exc.message}"
                )


def test_kubernetes_validation_is_not_vacuous(default_render: Rendered) -> None:
    deployment = copy.deepcopy(default_render.one("Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBE_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("value_set", SETS)
def test_lint_is_clean(value_set: str) -> None:
    values, namespace = rendering.VALUE_SETS[value_set]
    report = helm.lint(rendering.CHART_DIR, values, strict=True, namespace=namespace, kube_version="v1.33.0")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


def test_lint_sees_broken_charts(tmp_path: Any) -> None:
    broken = tmp_path / "sealer"
    with helm.Chart.load(rendering.CHART_DIR) as chart:
        chart.save_dir(tmp_path)
    (broken / "templates" / "broken.yaml").write_text("{{ .Values.nope.missing }}\n")
    report = helm.lint(broken, {}, strict=True)
    assert any(m["severity"] == 3 for m in report["messages"]), report


def test_every_namespaced_object_goes_to_the_controller_namespace(renders: dict[str, Rendered]) -> None:
    expected = {
        "default": "kube-system",
        "namespace-override": "sealed-secrets",
        "release-namespace": "security",
    }
    for value_set, namespace in expected.items():
        for obj in renders[value_set].objects:
            if obj["kind"] in CLUSTER_SCOPED:
                assert "namespace" not in obj["metadata"], obj["metadata"]
            else:
                assert obj["metadata"]["namespace"] == namespace, (value_set, obj["kind"], obj["metadata"])


def test_default_service_is_where_kubeseal_looks(default_render: Rendered) -> None:
    # kubeseal --fetch-cert defaults: --controller-name sealed-secrets-controller,
    # --controller-namespace kube-system, port name http (services/http:<name>:/proxy/v1/cert.pem).
    service = default_render.one("Service", "sealed-secrets-controller")
    assert service["metadata"]["namespace"] == "kube-system"
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    metrics = default_render.one("Service", "sealed-secrets-controller-metrics")
    assert metrics["spec"]["ports"] == [{"name": "metrics", "port": 8081, "targetPort": "metrics", "protocol": "TCP"}]


def test_names_follow_overrides(renders: dict[str, Rendered]) -> None:
    assert {o["metadata"]["name"] for o in renders["namespace-override"].of_kind("Service")} == {
        "my-sealer",
        "my-sealer-metrics",
    }
    # Without fullnameOverride the usual Helm name: the release name, as it contains the chart's.
    assert renders["release-namespace"].one("Deployment")["metadata"]["name"] == "sealer"


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("value_set", SETS)
def test_selectors_pick_the_controller_pod(renders: dict[str, Rendered], value_set: str) -> None:
    rendered = renders[value_set]
    deployment = rendered.one("Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)
    container_ports = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    for service in rendered.of_kind("Service"):
        assert _selects(service["spec"]["selector"], pod_labels)
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports
    for policy in rendered.of_kind("NetworkPolicy"):
        assert _selects(policy["spec"]["podSelector"]["matchLabels"], pod_labels)
        assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == {"http", "metrics"}
    for pdb in rendered.of_kind("PodDisruptionBudget"):
        assert _selects(pdb["spec"]["selector"]["matchLabels"], pod_labels)


def test_optional_objects_only_when_asked(renders: dict[str, Rendered]) -> None:
    optional = {"NetworkPolicy", "PodDisruptionBudget", "ServiceMonitor"}
    assert {o["kind"] for o in renders["default"].objects} & optional == set()
    assert {o["kind"] for o in renders["extras-on"].objects} & optional == optional


def test_service_monitor_scrapes_the_metrics_service(renders: dict[str, Rendered]) -> None:
    rendered = renders["extras-on"]
    monitor = rendered.one("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["kube-system"]}
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    scraped = [
        s
        for s in rendered.of_kind("Service")
        if _selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert [s["metadata"]["name"] for s in scraped] == ["sealed-secrets-controller-metrics"]
    assert scraped[0]["spec"]["ports"][0]["name"] == "metrics"


def test_network_policy_egress_allows_dns_and_the_api_server(renders: dict[str, Rendered]) -> None:
    policy = renders["extras-on"].one("NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    dns, api = policy["spec"]["egress"]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    assert api == {"to": [{"ipBlock": {"cidr": "10.0.0.1/32"}}], "ports": [{"port": 6443, "protocol": "TCP"}]}
    http_rule, metrics_rule = policy["spec"]["ingress"]
    assert "from" not in http_rule  # the API server proxy (--fetch-cert) comes from node addresses
    assert metrics_rule["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}


def test_pdb_defaults(renders: dict[str, Rendered]) -> None:
    pdb = renders["extras-on"].one("PodDisruptionBudget")
    assert pdb["spec"]["minAvailable"] == 1 and "maxUnavailable" not in pdb["spec"]


def _args(rendered: Rendered) -> list[str]:
    args: list[str] = rendered.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    return args


def test_default_controller_args(default_render: Rendered) -> None:
    assert _args(default_render) == [
        "--key-prefix=sealed-secrets-key",
        "--key-renew-period=720h",
        "--listen-addr=:8080",
        "--listen-metrics-addr=:8081",
        "--update-status=true",
        "--log-level=info",
        "--all-namespaces",
    ]


def test_key_schedule_values_reach_the_controller(renders: dict[str, Rendered]) -> None:
    args = _args(renders["key-schedule"])
    assert "--key-renew-period=0" in args
    assert "--key-cutoff-time=Mon, 02 Nov 2026 15:04:05 +0000" in args


def test_extra_args_come_last_and_extra_env_is_added(renders: dict[str, Rendered]) -> None:
    rendered = renders["extra-args"]
    assert _args(rendered)[-1] == "--log-level=debug"
    env = rendered.one("Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env[0] == {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}
    assert {"name": "TZ", "value": "UTC"} in env


def test_image_and_pull_secrets(renders: dict[str, Rendered]) -> None:
    default_pod = renders["default"].one("Deployment")["spec"]["template"]["spec"]
    assert default_pod["containers"][0]["image"] == "ghcr.io/sealer-dev/sealer-controller:0.1.0"
    assert "imagePullSecrets" not in default_pod
    pod = renders["pull-secrets"].one("Deployment")["spec"]["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}, {"name": "mirror-cred"}]
    assert pod["containers"][0]["image"] == "registry.example.com/sealer/controller@sha256:" + "ab" * 32


def test_watch_namespaces_reach_the_controller(renders: dict[str, Rendered]) -> None:
    args = _args(renders["watch-namespaces"])
    assert "--namespaces=team-a,team-b" in args and "--all-namespaces" not in args


BAD_VALUES = {
    "renew-period-not-a-duration": ({"controller": {"keyRenewPeriod": "30 days"}}, "/controller/keyRenewPeriod"),
    "cutoff-not-rfc1123z": ({"controller": {"keyCutoffTime": "2026-01-01T00:00:00Z"}}, "/controller/keyCutoffTime"),
    "writable-root-fs": ({"containerSecurityContext": {"readOnlyRootFilesystem": False}}, "readOnlyRootFilesystem"),
    "root-user": ({"podSecurityContext": {"runAsNonRoot": False}}, "/podSecurityContext/runAsNonRoot"),
    "unknown-key": ({"replicas": 3}, "additional properties 'replicas'"),
    "bad-port": ({"service": {"port": 0}}, "/service/port"),
    "bad-pull-policy": ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    "bad-digest": ({"image": {"digest": "latest"}}, "/image/digest"),
}


@pytest.mark.parametrize("case", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_values_schema_rejects(case: str) -> None:
    values, expected = BAD_VALUES[case]
    with helm.Chart.load(rendering.CHART_DIR) as chart, pytest.raises(helm.HelmValuesError) as caught:
        chart.render(values, name=rendering.RELEASE, namespace="kube-system")
    assert expected in str(caught.value)


def test_template_guards() -> None:
    with helm.Chart.load(rendering.CHART_DIR) as chart:
        with pytest.raises(helm.HelmRenderError, match="apiServerCidrs is required"):
            chart.render({"networkPolicy": {"enabled": True, "egress": {"enabled": True}}}, name="s", namespace="x")
        with pytest.raises(helm.HelmRenderError, match="not both"):
            chart.render({"podDisruptionBudget": {"enabled": True, "maxUnavailable": 1}}, name="s", namespace="x")
        with pytest.raises(helm.HelmRenderError, match=r"needs metrics\.service\.enabled"):
            chart.render(
                {"metrics": {"service": {"enabled": False}, "serviceMonitor": {"enabled": True}}},
                name="s",
                namespace="x",
            )


@pytest.mark.parametrize("value_set", SETS)
def test_controller_accepts_the_rendered_args(
    renders: dict[str, Rendered], value_set: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container's args, parsed by sealer-controller's own parser, mean what the values say."""
    import datetime as dt

    from sealer_controller.__main__ import build_parser, settings_from_args

    rendered = renders[value_set]
    values = rendering.VALUE_SETS[value_set][0].get("controller", {})
    deployment = rendered.one("Deployment")
    for name in [n for n in os.environ if n.startswith("SEALED_SECRETS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POD_NAMESPACE", deployment["metadata"]["namespace"])
    settings = settings_from_args(build_parser().parse_args(_args(rendered)))
    assert settings.key_namespace == deployment["metadata"]["namespace"]
    assert settings.key_prefix == "sealed-secrets-key"
    assert settings.key_renew_period == (dt.timedelta(0) if value_set == "key-schedule" else dt.timedelta(hours=720))
    if value_set == "key-schedule":
        assert settings.key_cutoff_time == dt.datetime(2026, 11, 2, 15, 4, 5, tzinfo=dt.UTC)
    else:
        assert settings.key_cutoff_time is None
    assert (settings.listen_addr, settings.listen_metrics_addr) == (":8080", ":8081")
    assert settings.update_status is True
    assert settings.log_level == ("DEBUG" if value_set == "extra-args" else "INFO")
    watched = values.get("watchNamespaces")
    if watched:
        assert settings.watched_namespaces is not None
        assert set(settings.watched_namespaces) == {*watched, settings.key_namespace}
    else:
        assert settings.watched_namespaces is None


def test_chart_packages_and_the_package_renders_the_same(default_render: Rendered, tmp_path: Any) -> None:
    import tarfile

    archive = helm.package(rendering.CHART_DIR, destination=tmp_path)
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
    assert "sealer/crds/sealedsecrets.bitnami.com.yaml" in names and "sealer/values.schema.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".orig", ".bak"))]
    with helm.Chart.load(archive) as packaged:
        again = rendering.render(packaged, *rendering.VALUE_SETS["default"])
    assert again.objects == default_render.objects
