"""Strict JSON bodies: ``"1000"`` is not a price.

Litestar converts a handler's whole signature in msgspec's lax mode, because query and path values
arrive as strings; that also turns a JSON ``"1000000"`` into an int. For the body, where JSON already
carries types, lax is wrong: this hook decodes it strictly against the handler's ``data`` struct
first, so a string where an int belongs is a 400 naming the field.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

__all__ = ["strict_json_body"]


@cache
def _decoder(struct: type[msgspec.Struct]) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(struct, strict=True)


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: validate a JSON body with msgspec's strict rules."""
    field = request.route_handler.parsed_data_field
    if field is None or request.content_type[0] != "application/json":
        return
    struct = field.annotation
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return
    try:
        _decoder(struct).decode(await request.body())
    except msgspec.ValidationError as exc:
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"key": "data", "message": str(exc), "source": "body"}],
        ) from None
    except msgspec.DecodeError:
        return  # malformed JSON: Litestar reports it the same way as everywhere else
