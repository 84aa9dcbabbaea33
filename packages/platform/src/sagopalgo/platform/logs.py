"""Structured JSON logs on stdout, one object per line, each carrying the request id.

A small formatter over the standard ``logging`` module keeps every library's records (uvicorn,
SQLAlchemy, ours) in one format without a second logging framework; msgspec encodes the line.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import msgspec

__all__ = ["QUIET", "JsonFormatter", "configure_logging", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("sagopalgo_request_id", default=None)

QUIET = ("aiosqlite", "asyncmy", "sqlalchemy")
"""Loggers held at WARNING whatever the level: below it they write SQL with its values.

aiosqlite logs every statement and its parameters at DEBUG, asyncmy and SQLAlchemy's engine
every statement at INFO when asked to. The original ran production with SQL logging on.
"""

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object; extra fields passed with ``extra=`` are kept."""

    def __init__(self, service: str = "sagopalgo") -> None:
        super().__init__()
        self.service = service
        self._encoder = msgspec.json.Encoder()

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "service": self.service,
            "request_id": request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return self._encoder.encode(payload).decode()

    def formatException(self, ei: Any) -> str:
        return super().formatException(ei)


class _ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id_var.get()
        base = super().format(record)
        return f"{base} [rid={rid}]" if rid else base


def configure_logging(level: str = "INFO", fmt: str = "json", service: str = "sagopalgo") -> None:
    """Send every logger to stdout in one format; uvicorn's own access log is replaced by ours."""
    handler = logging.StreamHandler(sys.stdout)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(_ConsoleFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
