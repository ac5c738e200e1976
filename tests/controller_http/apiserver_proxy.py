"""A stand-in for the kube-apiserver's service proxy in front of our real HTTP API.

kubeseal (and ``sealer seal`` without ``--controller-url``) reads the Service
``GET /api/v1/namespaces/{ns}/services/{name}``, then calls
``/api/v1/namespaces/{ns}/services/http:{name}:{port}/proxy/v1/...``. The real
API server forwards such a request over HTTP to the Service's pod, adding
``X-Forwarded-For``; this does the same, so our server sees what it would see
in a cluster. It requires the kubeconfig's bearer token, so the client's
kubeconfig auth is exercised too.
"""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web

TOKEN = "e2e-token"


def make_apiserver(backend_url: str, *, namespace: str, service: str, port_name: str = "http") -> web.Application:
    base = f"/api/v1/namespaces/{namespace}/services"
    proxy_prefix = f"{base}/http:{service}:{port_name}/proxy"
    session_box: dict[str, aiohttp.ClientSession] = {}

    async def authorised(request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            raise web.HTTPUnauthorized(text=json.dumps({"kind": "Status", "code": 401}))

    async def get_service(request: web.Request) -> web.Response:
        await authorised(request)
        if request.match_info["name"] != service:
            raise web.HTTPNotFound(text=json.dumps({"kind": "Status", "code": 404}))
        body = {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": service, "namespace": namespace},
            "spec": {"ports": [{"name": port_name, "port": 8080, "targetPort": 8080}]},
        }
        return web.json_response(body)

    async def proxy(request: web.Request) -> web.Response:
        await authorised(request)
        session = session_box.setdefault("s", aiohttp.ClientSession())
        tail = request.path[len(proxy_prefix) :]
        headers = {"X-Forwarded-For": request.remote or ""}
        if "Content-Type" in request.headers:
            headers["Content-Type"] = request.headers["Content-Type"]
        async with session.request(
            request.method, backend_url + tail, data=await request.read(), headers=headers
        ) as upstream:
            payload = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=payload,
                headers={"Content-Type": upstream.headers.get("Content-Type", "text/plain")},
            )

    async def close(app: web.Application) -> None:
        if "s" in session_box:
            await session_box["s"].close()

    app = web.Application()
    app.router.add_get(base + "/{name}", get_service)
    app.router.add_route("*", proxy_prefix + "/{tail:.*}", proxy)
    app.on_cleanup.append(close)
    return app
