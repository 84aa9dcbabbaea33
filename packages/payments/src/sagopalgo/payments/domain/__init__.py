"""Pure payment values and the errors a payment provider's answers become."""

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
from sagopalgo.payments.domain.payment import (
    PaymentCancel,
    PaymentFailure,
    PaymentStatus,
    PaymentWebhook,
    TossPayment,
)

__all__ = [
    "CancelRejected",
    "PaymentAlreadyCanceled",
    "PaymentAlreadyProcessed",
    "PaymentCancel",
    "PaymentFailure",
    "PaymentNotFound",
    "PaymentRejected",
    "PaymentSessionExpired",
    "PaymentStatus",
    "PaymentWebhook",
    "ProviderAuthFailed",
    "ProviderInFlight",
    "ProviderUnavailable",
    "TossPayment",
]
