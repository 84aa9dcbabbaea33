"""A local fake of Toss Payments' server (TOSS.md §8), for tests and the demo's sandbox.

``FakeToss`` keeps its state in memory and serves the confirm, lookup and cancel API with Toss's
auth, idempotency, error codes, 10-minute confirm window and webhooks; ``/_test/`` endpoints (and
their Python twins) stand in for the buyer's browser and let tests move the clock, script faults
and steer webhook deliveries.
"""

from sagopalgo.payments.adapters.fake_toss.app import (
    DEFAULT_SECRET_KEY,
    Authenticated,
    CheckoutFailure,
    FakeToss,
    Fault,
    RecordedRequest,
)
from sagopalgo.payments.adapters.fake_toss.ledger import TossError
from sagopalgo.payments.adapters.fake_toss.server import serve_asgi
from sagopalgo.payments.adapters.fake_toss.webhooks import TOSS_RETRY_DELAYS, WebhookAttempt, WebhookDelivery

__all__ = [
    "DEFAULT_SECRET_KEY",
    "TOSS_RETRY_DELAYS",
    "Authenticated",
    "CheckoutFailure",
    "FakeToss",
    "Fault",
    "RecordedRequest",
    "TossError",
    "WebhookAttempt",
    "WebhookDelivery",
    "serve_asgi",
]
