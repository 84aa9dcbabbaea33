"""The Toss Payments adapter of the ``PaymentProvider`` port (httpx, msgspec).

The client (and with it httpx) is imported on first use: a deployment without Toss keys, and the
webhook route that only parses Toss's JSON, never pay for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagopalgo.payments.adapters.toss.wire import parse_webhook

if TYPE_CHECKING:
    from sagopalgo.payments.adapters.toss.client import RetryPolicy, TossPaymentProvider, TossTimeouts

__all__ = ["RetryPolicy", "TossPaymentProvider", "TossTimeouts", "parse_webhook"]

_CLIENT = frozenset({"RetryPolicy", "TossPaymentProvider", "TossTimeouts"})


def __getattr__(name: str) -> Any:
    if name in _CLIENT:
        from sagopalgo.payments.adapters.toss import client

        return getattr(client, name)
    raise AttributeError(name)
