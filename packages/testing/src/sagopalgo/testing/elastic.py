"""A loopback HTTP server that answers like Elasticsearch (or OpenSearch) and records every request.

No Elasticsearch or OpenSearch server can be installed where these tests run, so the adapters'
requests are checked against the documented REST API instead: this stand-in records what the
official clients really send over HTTP (method, path, query string, headers, JSON or NDJSON body)
and answers with canned, documented-shape responses. It implements no search at all. As
OpenSearch it leaves out the ``X-Elastic-Product`` header, as a real OpenSearch server does.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FakeElasticsearch", "Recorded", "fake_elasticsearch", "fake_opensearch"]

Answer = tuple[int, Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    """Parsed JSON, a list of parsed lines for NDJSON (``_bulk``), or ``None``."""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeElasticsearch:
    url: str = ""
    product: str | None = "Elasticsearch"
    """The ``X-Elastic-Product`` header every answer carries (``None``: none, as OpenSearch)."""
    requests: list[Recorded] = field(default_factory=list)
    answers: list[tuple[str, str, Callable[[Recorded], Answer]]] = field(default_factory=list)

    def answer(self, method: str, path_suffix: str, reply: Callable[[Recorded], Answer] | Answer) -> None:
        """Answer requests whose path ends with ``path_suffix`` (latest registration wins)."""
        fn = reply if callable(reply) else (lambda _r, fixed=reply: fixed)
        self.answers.insert(0, (method, path_suffix, fn))

    def sent(self, method: str, path_suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body: Any = None
        if raw:
            text = raw.decode()
            if request.path.endswith("/_bulk"):
                body = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                body = json.loads(text)
        recorded = Recorded(request.method, request.path, dict(request.query), body, dict(request.headers))
        self.requests.append(recorded)
        status, payload = 404, {"error": {"type": "no_answer_registered"}, "status": 404}
        for method, suffix, reply in self.answers:
            if method == request.method and request.path.endswith(suffix):
                status, payload = reply(recorded)
                break
        headers = {"X-Elastic-Product": self.product} if self.product else {}
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers)
        return web.json_response(payload, status=status, headers=headers)


@asynccontextmanager
async def fake_elasticsearch(*, product: str | None = "Elasticsearch") -> AsyncIterator[FakeElasticsearch]:
    fake = FakeElasticsearch(product=product)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake._handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def fake_opensearch() -> AbstractAsyncContextManager[FakeElasticsearch]:
    """The same stand-in answering as OpenSearch does: without ``X-Elastic-Product``."""
    return fake_elasticsearch(product=None)
