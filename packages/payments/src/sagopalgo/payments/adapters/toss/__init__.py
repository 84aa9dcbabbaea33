"""The Toss Payments adapter of the ``PaymentProvider`` port (httpx, msgspec)."""

from sagopalgo.payments.adapters.toss.client import RetryPolicy, TossPaymentProvider, TossTimeouts
from sagopalgo.payments.adapters.toss.wire import parse_webhook

__all__ = ["RetryPolicy", "TossPaymentProvider", "TossTimeouts", "parse_webhook"]
