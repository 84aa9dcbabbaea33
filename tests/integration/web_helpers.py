"""Driving the web pages over HTTP as a browser would: cookies, CSRF tokens, forms, htmx."""

import re
import uuid
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.integration.helpers import PASSWORD

_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Web:
    """One browser on the test client: its cookie jar, and the CSRF token its last page carried."""

    def __init__(self, api: AsyncTestClient[Any]) -> None:
        self.api = api
        self.token = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.api.get(path, follow_redirects=False, **kwargs)
        found = _TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False
    ) -> httpx.Response:
        if not self.token:
            await self.get("/")
        headers = {"HX-Request": "true"} if htmx else {}
        return await self.api.post(
            path, data={"_csrf_token": self.token, **(data or {})}, headers=headers, follow_redirects=False
        )

    async def sign_up(self, **overrides: str) -> dict[str, str]:
        tag = uuid.uuid4().hex[:10]
        ident = {"email": f"web{tag}@example.com", "username": f"web{tag}", "password": PASSWORD, **overrides}
        await self.get("/signup")
        response = await self.post("/signup", {**ident, "next": "/"})
        assert response.status_code == 303, response.text
        return ident

    async def sign_in(self, ident: dict[str, str], next_path: str = "/") -> httpx.Response:
        await self.get("/signin")
        return await self.post(
            "/signin", {"email": ident["email"], "password": ident["password"], "next": next_path}
        )

    def forget_cookies(self) -> None:
        self.api.cookies.clear()
        self.token = ""


def alerts(html: str) -> list[str]:
    """The texts of the page's alerts (refusals and notices), tags stripped."""
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for text in re.findall(r'<p class="alert[^"]*"[^>]*>(.*?)</p>', html, flags=re.S)
    ]
