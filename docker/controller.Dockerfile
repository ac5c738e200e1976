# syntax=docker/dockerfile:1
# The sealer controller (sealer-controller, the kopf operator). Build from the repository root:
#   docker build -f docker/controller.Dockerfile -t ghcr.io/sealer-dev/sealer-controller:0.1.0 .
#
# python:3.12-slim pinned by its multi-arch index digest. Re-resolve it when bumping:
#   docker buildx imagetools inspect python:3.12-slim
ARG PYTHON_IMAGE=python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sealer/ sealer/
COPY controller/ controller/
COPY kustomize-plugin/ kustomize-plugin/
# Only the controller extra: kopf, the kubernetes client, aiohttp, prometheus-client.
RUN python -m venv /opt/sealer \
 && /opt/sealer/bin/pip install ".[controller]" \
 && /opt/sealer/bin/sealer-controller --help >/dev/null

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/sealer /opt/sealer
# The chart mounts a read-only root filesystem with an emptyDir at /tmp: no bytecode writes,
# and HOME points at the only writable place.
ENV PATH=/opt/sealer/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp
# Numeric, so the kubelet can check runAsNonRoot; the chart's runAsUser is the same.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["sealer-controller"]
