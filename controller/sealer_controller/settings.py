"""Everything the operator can be told, in one dataclass (flags and environment fill it in ``__main__``).

Names, defaults and meanings follow the Bitnami controller's flags
(``cmd/controller/main.go`` ``bindControllerFlags``), so a Helm chart or a
Deployment written for it runs ours unchanged; fields Bitnami lacks are marked
"(sealer)".
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from sealer.keys.key_secrets import KEY_NAME_PREFIX
from sealer_controller import key_lifecycle

DEFAULT_KEY_NAMESPACE = "kube-system"
"""Where kubeseal looks for the controller (``--controller-namespace`` default), used when nothing says better."""

SERVICE_ACCOUNT_NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def own_namespace(environ: dict[str, str] | None = None, *, sa_file: Path = SERVICE_ACCOUNT_NAMESPACE_FILE) -> str:
    """The controller's namespace, found as the Bitnami controller finds it (``myNamespace()``).

    ``POD_NAMESPACE`` (the chart sets it from the downward API), then the
    service account's namespace file; Bitnami then falls back to ``default``,
    we fall back to ``kube-system``, where kubeseal expects the controller.
    """
    env = os.environ if environ is None else environ
    if env.get("POD_NAMESPACE"):
        return env["POD_NAMESPACE"]
    try:
        text = sa_file.read_text().strip()
    except OSError:
        text = ""
    return text or DEFAULT_KEY_NAMESPACE


CGROUP_ROOT = Path("/sys/fs/cgroup")


def usable_cpus(*, cgroup_root: Path = CGROUP_ROOT, affinity: int | None = None) -> int:
    """How many CPUs this process can really use: its affinity, capped by a cgroup CPU limit.

    ``os.cpu_count()`` is the node's count: a pod limited to 2 CPUs on a
    64-core node would start 64 RSA threads that the CFS quota then throttles
    (Go programs got the same fix in Go 1.25). Reads cgroup v2 ``cpu.max``, else
    v1 ``cpu.cfs_quota_us``/``cpu.cfs_period_us``; a quota rounds up (1.5 CPUs → 2).
    """
    if affinity is None:
        try:
            affinity = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            affinity = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root)
    limit = math.ceil(quota) if quota is not None else affinity
    return max(1, min(affinity, limit))


def _cgroup_quota(root: Path) -> float | None:
    try:
        fields = (root / "cpu.max").read_text().split()
        if len(fields) == 2 and fields[0] != "max":
            return int(fields[0]) / int(fields[1])
        return None
    except (OSError, ValueError, ZeroDivisionError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


@dataclass
class ControllerSettings:
    """How the operator runs. Durations are ``timedelta``; addresses are ``host:port`` (host may be empty)."""

    key_namespace: str = DEFAULT_KEY_NAMESPACE
    """Namespace holding the key Secrets; also "the current namespace" for ``all_namespaces=False``."""

    key_prefix: str = KEY_NAME_PREFIX
    """``--key-prefix``: generateName of new key Secrets; a Secret named exactly this is loaded too (legacy)."""

    key_size: int = key_lifecycle.DEFAULT_KEY_BITS
    """``--key-size``: RSA modulus bits of generated keys."""

    key_ttl: dt.timedelta = key_lifecycle.DEFAULT_KEY_TTL
    """``--key-ttl``: validity of generated certificates (87600h = 10 years)."""

    my_cn: str = ""
    """``--my-cn``: common name of generated certificates (empty, as Bitnami's default)."""

    key_renew_period: dt.timedelta = key_lifecycle.DEFAULT_RENEW_PERIOD
    """``--key-renew-period``: make a new sealing key this long after the newest one (720h); 0 disables."""

    key_cutoff_time: dt.datetime | None = None
    """``--key-cutoff-time``: make a new key if the newest is older than this (RFC 1123Z); None = no cutoff."""

    private_key_labels: dict[str, str] = field(default_factory=dict)
    """``--privatekey-labels``: extra labels on generated key Secrets."""

    private_key_annotations: dict[str, str] = field(default_factory=dict)
    """``--privatekey-annotations``: extra annotations on generated key Secrets."""

    all_namespaces: bool = True
    """``--all-namespaces``: watch SealedSecrets everywhere; False watches ``key_namespace`` (+ additional)."""

    additional_namespaces: tuple[str, ...] = ()
    """``--additional-namespaces``: more namespaces to watch; setting it implies not all namespaces, as in Bitnami."""

    label_selector: str = ""
    """``--label-selector``: only SealedSecrets carrying these labels (``k=v,k2=v2``) are unsealed."""

    update_status: bool = True
    """``--update-status``: write ``status.conditions`` and ``observedGeneration`` on SealedSecrets."""

    skip_recreate: bool = False
    """``--skip-recreate``: leave a deleted or edited Secret alone until its SealedSecret changes."""

    watch_for_secrets: bool = True
    """``--watch-for-secrets``: pick up new, imported or deleted key Secrets while running (Bitnami: off, beta)."""

    accept_deprecated_v1_data: bool = True
    """``--accept-deprecated-v1-data``: unseal the deprecated whole-Secret ``spec.data`` form."""

    max_unseal_retries: int = 5
    """``--max-unseal-retries``: attempts after a transient failure (API errors) before waiting for a change."""

    listen_addr: str = ":8080"
    """``--listen-addr``: the HTTP API (``/healthz``, ``/v1/cert.pem``, ``/v1/verify``, ``/v1/rotate``)."""

    listen_metrics_addr: str = ":8081"
    """``--listen-metrics-addr``: Prometheus ``/metrics``; empty disables."""

    rate_limit: float = 2.0
    """``--rate-limit``: sustained ``/v1/verify`` requests per second."""

    rate_limit_burst: int = 2
    """``--rate-limit-burst``: ``/v1/verify`` requests allowed above the rate."""

    log_level: str = "INFO"
    """``--log-level``: DEBUG, INFO, WARNING or ERROR. Never logs secret values at any level."""

    log_format: str = "text"
    """``--log-format``: text or json."""

    kubeconfig: str | None = None
    """(sealer) ``--kubeconfig``: talk to the cluster in this file instead of the in-cluster service account."""

    server: str | None = None
    """(sealer) ``--server``: API server URL without credentials (tests, ``kubectl proxy``)."""

    rsa_workers: int = field(default_factory=usable_cpus)
    """(sealer) ``--rsa-workers``: threads doing RSA decryption off the event loop (default: :func:`usable_cpus`)."""

    success_events: bool = True
    """(sealer) ``--success-events``: post an ``Unsealed`` event when a Secret is written (errors always post)."""

    @property
    def watched_namespaces(self) -> tuple[str, ...] | None:
        """None for all namespaces, else the namespaces to watch (Bitnami: current + additional)."""
        if self.all_namespaces and not self.additional_namespaces:
            return None
        seen: dict[str, None] = {self.key_namespace: None}
        for namespace in self.additional_namespaces:
            seen.setdefault(namespace, None)
        return tuple(seen)
