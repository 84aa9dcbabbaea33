"""Toss's error answers (HTTP status + ``code``) as domain errors, and whether to retry them.

Toss says to build on the HTTP status, but some 4xx codes are transient (``PROVIDER_ERROR`` is a
400), so the code is checked first where it matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sagopalgo.kernel.errors import DomainError
from sagopalgo.payments.adapters.toss.wire import ErrorBody
from sagopalgo.payments.domain.errors import (
    CancelRejected,
    PaymentAlreadyCanceled,
    PaymentAlreadyProcessed,
    PaymentNotFound,
    PaymentRejected,
    PaymentSessionExpired,
    ProviderAuthFailed,
    ProviderInFlight,
    ProviderUnavailable,
)

__all__ = ["Operation", "Verdict", "classify"]

Operation = Literal["confirm", "cancel", "lookup"]

_AUTH = frozenset({"UNAUTHORIZED_KEY", "INCORRECT_BASIC_AUTH_FORMAT", "INVALID_API_KEY"})
_IN_FLIGHT = "IDEMPOTENT_REQUEST_PROCESSING"
_TRANSIENT = frozenset({"PROVIDER_ERROR", "FORBIDDEN_CONSECUTIVE_REQUEST"})
_NOT_FOUND = frozenset({"NOT_FOUND_PAYMENT", "NOT_FOUND"})
_SESSION_GONE = "NOT_FOUND_PAYMENT_SESSION"


@dataclass(frozen=True, slots=True)
class Verdict:
    error: DomainError
    retry: bool
    """Worth another attempt with the same idempotency key (transient, or Toss still busy)."""


def classify(operation: Operation, status: int, body: ErrorBody | None) -> Verdict:
    """The domain error for a non-200 answer from Toss."""
    code = body.code if body is not None else f"HTTP_{status}"
    message = body.message if body is not None and body.message else f"Toss Payments answered {status}."
    if status == 401 or code in _AUTH:
        refused = ProviderAuthFailed(f"Toss Payments refused our credentials ({code}).", toss_code=code)
        return Verdict(refused, False)
    if status == 409 or code == _IN_FLIGHT:
        busy = ProviderInFlight("Toss Payments is still processing this request.", toss_code=code)
        return Verdict(busy, True)
    if status >= 500 or status == 429 or code in _TRANSIENT:
        unavailable = ProviderUnavailable(
            f"Toss Payments could not process the request now ({code}).",
            toss_code=code,
            outcome_unknown=status >= 500,
        )
        return Verdict(unavailable, True)
    if code == _SESSION_GONE:
        return Verdict(PaymentSessionExpired(code, message), False)
    if code in _NOT_FOUND or status == 404:
        return Verdict(PaymentNotFound(message), False)
    if operation == "confirm":
        if code == "ALREADY_PROCESSED_PAYMENT":
            return Verdict(PaymentAlreadyProcessed(code, message), False)
        return Verdict(PaymentRejected(code, message), False)
    if operation == "cancel":
        if code == "ALREADY_CANCELED_PAYMENT":
            return Verdict(PaymentAlreadyCanceled(code, message), False)
        return Verdict(CancelRejected(code, message), False)
    return Verdict(ProviderUnavailable(f"Toss Payments refused the lookup ({code}).", toss_code=code), False)
