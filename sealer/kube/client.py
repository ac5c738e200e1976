"""Lazily build a Kubernetes API client from kubeconfig or the in-cluster service account."""

from __future__ import annotations

from typing import Any

from sealer.errors import NetworkError


def api_client(*, kubeconfig: str | None = None, context: str | None = None) -> Any:
    """Return a ``kubernetes.client.ApiClient``; kubeconfig first, then in-cluster config.

    Typed as ``Any`` because the kubernetes package ships no type information.
    """
    from kubernetes import client, config  # deliberate lazy import (0.5 s)
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    try:
        config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
    except (ConfigException, FileNotFoundError, TypeError) as kube_exc:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException:
            raise NetworkError(
                "no Kubernetes configuration found",
                hint="set KUBECONFIG or --kubeconfig, or pass --cert/--controller-url to work offline",
            ) from kube_exc
    return client.ApiClient(configuration)
