"""The embedded image store's two endpoints: the S3-like form upload and serving ``/media``.

They are mounted only when images live on the local disk (no S3 bucket configured). Neither asks
for an access token: the upload's signed form is its authorisation, exactly as with a presigned S3
POST, and published lot photos are public (as they are behind the CDN).
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import File
from litestar.status_codes import HTTP_204_NO_CONTENT

from sagopalgo.catalog.adapters.images.local import LocalImageStore, media_type_for
from sagopalgo.kernel.errors import NotFound
from sagopalgo.platform.http.problems import problem_responses

__all__ = ["UPLOAD_MAX_BODY_BYTES", "LocalUploadForm", "MediaController"]

UPLOAD_MAX_BODY_BYTES = 11 * 1024 * 1024
"""A 10 MiB image plus the form's other fields and multipart framing."""
CACHE_FOREVER = "public, max-age=31536000, immutable"
"""A key is never reused for other bytes, so a served photo may be cached for good."""


class LocalUploadForm(msgspec.Struct, kw_only=True):
    """The presigned fields, posted back unchanged, and the file (the last part, as S3 wants it)."""

    key: str
    content_type: str = msgspec.field(name="Content-Type")
    expires: str
    max_bytes: str
    file: UploadFile
    signature: str = ""
    """Missing is refused like a wrong one (403), not as a malformed form."""


def _store(request: Request[Any, Any, Any]) -> LocalImageStore:
    store = request.app.state.image_store
    if not isinstance(store, LocalImageStore):  # pragma: no cover - a wiring mistake
        raise TypeError("the /media routes need a LocalImageStore as app.state.image_store")
    return store


class MediaController(Controller):
    tags = ["media"]

    @post(
        "/api/v1/uploads/local",
        status_code=HTTP_204_NO_CONTENT,
        exclude_from_auth=True,
        request_max_body_size=UPLOAD_MAX_BODY_BYTES,
        summary="Upload a lot photo with a presigned form (embedded storage only)",
        description=(
            "The browser posts the `fields` of a presigned upload followed by `file`, as it would to S3. "
            "The signature binds key, content type, size bound and expiry."
        ),
        responses=problem_responses(400, 403, 413),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LocalUploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> None:
        fields = {
            "key": data.key,
            "Content-Type": data.content_type,
            "expires": data.expires,
            "max_bytes": data.max_bytes,
            "signature": data.signature,
        }
        content = await data.file.read()
        await data.file.close()
        await _store(request).receive(fields, content, request.app.state.clock.now())

    @get(
        "/media/{key:path}",
        exclude_from_auth=True,
        summary="A stored lot photo (embedded storage only)",
        responses=problem_responses(400, 404),
    )
    async def media(self, request: Request[Any, Any, Any], key: FromPath[str]) -> File:
        key = key.lstrip("/")
        store = _store(request)
        path = store.path_for(key)
        media_type = media_type_for(key)
        if path is None or media_type is None:
            raise NotFound("No such image.")
        try:
            info = await asyncio.to_thread(os.stat, path)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound("No such image.") from None
        if not stat.S_ISREG(info.st_mode):
            raise NotFound("No such image.")
        return File(
            path=path,
            stat_result=info,
            media_type=media_type,
            filename=path.name,
            content_disposition_type="inline",
            headers={"Cache-Control": CACHE_FOREVER, "X-Content-Type-Options": "nosniff"},
        )
