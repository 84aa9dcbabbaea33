"""Error kinds shared by every context.

The domain raises these; each service maps the *kind* to an HTTP status in one table, so the domain
never knows about HTTP. Every error carries a stable machine-readable ``code`` (the API contract) and
may carry extra fields a client needs to act (``minimumBid``, ``fields``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "Invalid",
    "NotFound",
    "PaymentRequired",
    "RateLimited",
    "Rejected",
    "TooLarge",
    "Unauthenticated",
    "Unavailable",
    "UnsupportedMedia",
]


class DomainError(Exception):
    """Base of every expected failure; ``code`` is part of the public contract."""

    code: ClassVar[str] = "ERROR"

    def __init__(
        self, message: str, *, code: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.extra: dict[str, Any] = dict(extra or {})


class Invalid(DomainError):
    """The input breaks a rule of shape or range (an email that is not one, a short password)."""

    code = "VALIDATION_FAILED"

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, code=code, extra={"errors": [{"field": field, "message": message}]})
        self.field = field


class Unauthenticated(DomainError):
    """The caller is not who they claim, or did not say."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "FORBIDDEN"


class NotFound(DomainError):
    """The thing named does not exist (or is not visible to the caller)."""

    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request is well formed but clashes with the current state (taken name, locked lot)."""

    code = "CONFLICT"


class Rejected(DomainError):
    """A business rule refuses the request as such (a bid over the limit)."""

    code = "REJECTED"


class PaymentRequired(DomainError):
    """A payment was refused (a declined card, an expired checkout): the payer has to act."""

    code = "PAYMENT_REQUIRED"


class TooLarge(DomainError):
    """The thing sent (or promised, like an upload's size) is over the deployment's bound."""

    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMedia(DomainError):
    """The content type is not one this endpoint accepts (an upload that is not an image)."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(DomainError):
    """Too many requests from one client in a window."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    """A dependency (database, Redis, payment provider) is down or timed out; retry later."""

    code = "UNAVAILABLE"


class IdempotencyKeyReused(Rejected):
    """An ``Idempotency-Key`` seen before with another request: a client bug, never replayed."""

    code = "IDEMPOTENCY_KEY_REUSED"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used with another request body.")


class IdempotencyKeyInUse(Conflict):
    """The first request with this key is still running; the repeat may retry in a moment."""

    code = "IDEMPOTENCY_KEY_IN_USE"

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still being processed; retry shortly.")
