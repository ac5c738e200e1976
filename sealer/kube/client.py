"""Lazily build a Kubernetes API client from kubeconfig (with kubectl's override flags) or the pod's account.

kubeseal embeds client-go's ``clientcmd`` override flags (``--server``,
``--token``, ``--certificate-authority``, ``--insecure-skip-tls-verify``,
``--tls-server-name``, ``--proxy-url``, ``--client-certificate``,
``--client-key``, ``--username``/``--password``, ``--as``/``--as-group``/
``--as-uid``, ``--cluster``, ``--user``, ``--context``), so ``sealer seal``
takes them too, as :class:`ConnectionOverrides`. They are applied the way
client-go merges them: on top of the chosen context's cluster and user (or of
nothing, when there is no kubeconfig and ``--server`` is given), the
kubeconfig file itself untouched. ``--insecure-skip-tls-verify`` without a
CA override drops the kubeconfig's CA, as client-go does.

One difference from client-go: it sends no credentials to a plain ``http://``
server; the Python client (and so this) does, as it always has for kubeconfig
tokens.

The ``kubernetes`` package is imported only inside :func:`api_client` (0.5 s).
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from sealer.errors import NetworkError, UsageError

__all__ = ["ConnectionOverrides", "api_client"]

_OVERRIDE_NAME = "sealer-command-line"


class ConnectionOverrides(NamedTuple):
    """kubectl's connection flags; None (or empty) means "as the kubeconfig says"."""

    server: str | None = None
    certificate_authority: str | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    proxy_url: str | None = None
    token: str | None = None
    client_certificate: str | None = None
    client_key: str | None = None
    username: str | None = None
    password: str | None = None
    impersonate: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    impersonate_uid: str | None = None
    cluster: str | None = None
    user: str | None = None

    def any(self) -> bool:
        return any(bool(value) for value in self)

    def __repr__(self) -> str:  # the token and password are credentials: never in a repr or a log line
        shown = {k: ("***" if k in ("token", "password") and v else v) for k, v in self._asdict().items() if v}
        return f"ConnectionOverrides({shown!r})"


def _path(value: str) -> str:
    """Flag paths are relative to the working directory, not to the kubeconfig."""
    return os.path.abspath(os.path.expanduser(value))


def _merged_cluster(base: dict[str, Any], o: ConnectionOverrides) -> dict[str, Any]:
    cluster = dict(base)
    if o.server:
        cluster["server"] = o.server
    if o.certificate_authority and o.insecure_skip_tls_verify:
        raise UsageError(
            "--certificate-authority and --insecure-skip-tls-verify cannot both be given",
            hint="pass the CA to verify the server, or skip verification, not both",
        )
    if o.certificate_authority:
        cluster.pop("certificate-authority-data", None)
        cluster["certificate-authority"] = _path(o.certificate_authority)
        cluster["insecure-skip-tls-verify"] = False
    if o.insecure_skip_tls_verify:
        cluster.pop("certificate-authority", None)
        cluster.pop("certificate-authority-data", None)
        cluster["insecure-skip-tls-verify"] = True
    if o.tls_server_name:
        cluster["tls-server-name"] = o.tls_server_name
    if o.proxy_url:
        cluster["proxy-url"] = o.proxy_url
    return cluster


def _merged_user(base: dict[str, Any], o: ConnectionOverrides) -> dict[str, Any]:
    user = dict(base)
    if o.token or o.username:
        # An explicit credential replaces the kubeconfig's way of getting one (plugins, token files).
        for field in ("auth-provider", "exec", "token", "tokenFile", "username", "password"):
            user.pop(field, None)
    if o.token:
        user["token"] = o.token
    if o.username:
        user["username"] = o.username
        user["password"] = o.password or ""
    if o.client_certificate:
        user.pop("client-certificate-data", None)
        user["client-certificate"] = _path(o.client_certificate)
    if o.client_key:
        user.pop("client-key-data", None)
        user["client-key"] = _path(o.client_key)
    return user


def _kubeconfig_paths(kubeconfig: str | None) -> str:
    from kubernetes.config.kube_config import KUBE_CONFIG_DEFAULT_LOCATION

    return kubeconfig or os.environ.get("KUBECONFIG") or KUBE_CONFIG_DEFAULT_LOCATION


def _loader_with_overrides(kubeconfig: str | None, context: str | None, o: ConnectionOverrides) -> Any:
    """A KubeConfigLoader for a context made of the chosen one plus the overrides."""
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader, KubeConfigMerger

    merger = KubeConfigMerger(_kubeconfig_paths(kubeconfig))
    root = merger.config
    if root is None:
        if not o.server:
            raise ConfigException("no kubeconfig")
        root = ConfigNode("command line", {"clusters": [], "contexts": [], "users": []})
    for item in ("clusters", "contexts", "users"):
        if not isinstance(root.value.get(item), list):
            root.value[item] = []

    def entry(item: str, name: str | None, field: str) -> tuple[dict[str, Any], str | None]:
        if not name:
            return {}, None
        node = root[item].get_with_name(name, safe=True)
        if node is None:
            raise UsageError(f"kubeconfig has no {field} named {name!r}", hint=f"check --{field} and --kubeconfig")
        value = node.value.get(field) if isinstance(node.value, dict) else None
        return dict(value or {}), node.path

    context_name = context or root.value.get("current-context") or None
    ctx, ctx_path = entry("contexts", context_name, "context") if context_name else ({}, None)
    if context and not ctx and not o.server:
        raise UsageError(f"kubeconfig context {context!r} is empty", hint="check --context")
    cluster_name = o.cluster or ctx.get("cluster")
    user_name = o.user or ctx.get("user")
    if cluster_name:
        cluster, cluster_path = entry("clusters", cluster_name, "cluster")
    elif o.server:
        cluster, cluster_path = {}, None
    else:
        raise UsageError("no cluster to talk to", hint="pass --context, --cluster or --server, or set a kubeconfig")
    user, user_path = entry("users", user_name, "user") if user_name else ({}, None)
    name = _OVERRIDE_NAME
    root.value["clusters"].append(
        ConfigNode(f"{name}/cluster", {"name": name, "cluster": _merged_cluster(cluster, o)}, cluster_path or ctx_path)
    )
    root.value["users"].append(
        ConfigNode(f"{name}/user", {"name": name, "user": _merged_user(user, o)}, user_path or ctx_path)
    )
    root.value["contexts"].append(
        ConfigNode(f"{name}/context", {"name": name, "context": {**ctx, "cluster": name, "user": name}}, ctx_path)
    )
    return KubeConfigLoader(config_dict=root, config_base_path=None, active_context=name)


def api_client(
    *, kubeconfig: str | None = None, context: str | None = None, overrides: ConnectionOverrides | None = None
) -> Any:
    """Return a ``kubernetes.client.ApiClient``; kubeconfig (plus ``overrides``) first, then in-cluster config.

    Typed as ``Any`` because the kubernetes package ships no type information.
    """
    from kubernetes import client, config  # deliberate lazy import (0.5 s)
    from kubernetes.config.config_exception import ConfigException

    o = overrides or ConnectionOverrides()
    if len(o.impersonate_groups) > 1:
        # The client sends each header once; "Impersonate-Group: a, b" would be one group named "a, b".
        raise UsageError("only one --as-group is supported", hint="impersonate one group per call")
    configuration = client.Configuration()
    try:
        if o.any():
            _loader_with_overrides(kubeconfig, context, o).load_and_set(configuration)
        else:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
    except (ConfigException, FileNotFoundError, TypeError) as kube_exc:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException:
            raise NetworkError(
                "no Kubernetes configuration found",
                hint="set KUBECONFIG or --kubeconfig (or --server), or pass --cert/--controller-url to work offline",
            ) from kube_exc
    if not configuration.verify_ssl:
        # Asked for (flag or kubeconfig), as with kubectl: no multi-line urllib3 warning on every request.
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    api = client.ApiClient(configuration)
    if o.impersonate:
        api.set_default_header("Impersonate-User", o.impersonate)
    if o.impersonate_uid:
        api.set_default_header("Impersonate-Uid", o.impersonate_uid)
    if o.impersonate_groups:
        api.set_default_header("Impersonate-Group", o.impersonate_groups[0])
    return api
