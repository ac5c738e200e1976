"""Where kube-apiserver keeps each resource in etcd, and back.

Most built-in resources live at ``/registry/<resource>/<namespace>/<name>``
whatever their API group (``deployments.apps`` → ``/registry/deployments/``);
a few have historical paths; custom resources live at
``/registry/<group>/<resource>/``. ``/registry`` is ``--etcd-prefix``.
"""

from __future__ import annotations

# resource (with group, as EncryptionConfiguration names it) -> path segment(s) under the etcd prefix
_SPECIAL = {
    "services": "services/specs",
    "endpoints": "services/endpoints",
    "nodes": "minions",
    "replicationcontrollers": "controllers",
    "ingresses.networking.k8s.io": "ingress",
    "podsecuritypolicies.policy": "podsecuritypolicy",
    "persistentvolumeclaims": "persistentvolumeclaims",
    "events": "events",
}
_BUILTIN_GROUPS = {
    "apps": ("deployments", "replicasets", "statefulsets", "daemonsets", "controllerrevisions"),
    "batch": ("jobs", "cronjobs"),
    "autoscaling": ("horizontalpodautoscalers",),
    "policy": ("poddisruptionbudgets", "podsecuritypolicies"),
    "networking.k8s.io": ("ingresses", "ingressclasses", "networkpolicies", "ipaddresses", "servicecidrs"),
    "rbac.authorization.k8s.io": ("roles", "rolebindings", "clusterroles", "clusterrolebindings"),
    "storage.k8s.io": ("storageclasses", "volumeattachments", "csidrivers", "csinodes", "csistoragecapacities"),
    "admissionregistration.k8s.io": ("mutatingwebhookconfigurations", "validatingwebhookconfigurations",
                                     "validatingadmissionpolicies", "validatingadmissionpolicybindings"),
    "apiextensions.k8s.io": ("customresourcedefinitions",),
    "apiregistration.k8s.io": ("apiservices",),
    "certificates.k8s.io": ("certificatesigningrequests",),
    "coordination.k8s.io": ("leases",),
    "discovery.k8s.io": ("endpointslices",),
    "scheduling.k8s.io": ("priorityclasses",),
    "node.k8s.io": ("runtimeclasses",),
    "flowcontrol.apiserver.k8s.io": ("flowschemas", "prioritylevelconfigurations"),
}
_SEGMENT_TO_RESOURCE = {segment: resource for resource, segment in _SPECIAL.items()}
for _group, _names in _BUILTIN_GROUPS.items():
    for _name in _names:
        _SEGMENT_TO_RESOURCE.setdefault(_name, f"{_name}.{_group}")


def etcd_prefix_for(resource: str, *, etcd_prefix: str = "/registry") -> str:
    """The etcd key prefix holding ``resource`` (``secrets``, ``deployments.apps``, ``foos.example.com``)."""
    base = etcd_prefix.rstrip("/")
    if resource in _SPECIAL:
        return f"{base}/{_SPECIAL[resource]}/"
    name, _, group = resource.partition(".")
    if not group or name in _BUILTIN_GROUPS.get(group, ()):
        return f"{base}/{name}/"
    return f"{base}/{group}/{name}/"


def resource_of(key: bytes, *, etcd_prefix: str = "/registry") -> str:
    """The resource an etcd key belongs to, as EncryptionConfiguration names it; ``?`` if not under the prefix."""
    text = key.decode("utf-8", "replace")
    base = etcd_prefix.rstrip("/") + "/"
    if not text.startswith(base):
        return "?"
    parts = text[len(base) :].split("/")
    if len(parts) >= 2 and "/".join(parts[:2]) in _SEGMENT_TO_RESOURCE:
        return _SEGMENT_TO_RESOURCE["/".join(parts[:2])]
    if parts[0] in _SEGMENT_TO_RESOURCE:
        return _SEGMENT_TO_RESOURCE[parts[0]]
    if "." in parts[0] and len(parts) >= 2:
        return f"{parts[1]}.{parts[0]}"
    return parts[0]
