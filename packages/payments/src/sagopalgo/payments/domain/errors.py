"""What a payment provider's refusals and failures mean to us, as kernel error kinds.

The kind decides the HTTP status through the platform's one table; the Toss code travels as
``toss_code`` (and ``tossCode`` in the problem body) so a client can tell a declined card from an
expired checkout. Failures that are ours or the provider's, never the buyer's (our key refused, Toss
down), are ``ProviderUnavailable``: the buyer sees a 503 and may retry.
"""

from __future__ import annotations

from sagopalgo.kernel.errors import Conflict, NotFound, PaymentRequired, Rejected, Unavailable

__all__ = [
    "AlreadyPaid",
    "AlreadyRefunded",
    "AmountMismatch",
    "AwardExpired",
    "CancelRejected",
    "NotRefundable",
    "OrderClosed",
    "PaymentAlreadyCanceled",
    "PaymentAlreadyProcessed",
    "PaymentInProgress",
    "PaymentNotFound",
    "PaymentRejected",
    "PaymentSessionExpired",
    "PaymentsDisabled",
    "ProviderAuthFailed",
    "ProviderInFlight",
    "ProviderUnavailable",
]


class PaymentRejected(PaymentRequired):
    """The provider refused to approve the payment: a declined card, a limit, a mismatch.

    API.md answers it with 402 ``PAYMENT_REJECTED`` carrying Toss's code (the ``PaymentRequired``
    kind). Retrying the same request will not help; the buyer has to act (another card, a new
    checkout).
    """

    code = "PAYMENT_REJECTED"

    def __init__(self, toss_code: str, message: str) -> None:
        super().__init__(message, extra={"tossCode": toss_code})
        self.toss_code = toss_code


class PaymentSessionExpired(PaymentRejected):
    """Confirm came after the provider's window (10 minutes from the buyer's authentication)."""


class PaymentAlreadyProcessed(Conflict):
    """The provider already approved (or otherwise settled) this payment.

    Not a failure to report blindly: look the payment up; it may be ``DONE`` by an earlier confirm
    whose answer was lost.
    """

    code = "PAYMENT_ALREADY_PROCESSED"

    def __init__(self, toss_code: str, message: str) -> None:
        super().__init__(message, extra={"tossCode": toss_code})
        self.toss_code = toss_code


class CancelRejected(Rejected):
    """The provider refused a cancel (amount over the balance, payment not cancellable...)."""

    code = "CANCEL_REJECTED"

    def __init__(self, toss_code: str, message: str) -> None:
        super().__init__(message, extra={"tossCode": toss_code})
        self.toss_code = toss_code


class PaymentAlreadyCanceled(CancelRejected):
    """The payment has no balance left to cancel."""


class PaymentNotFound(NotFound):
    """The provider knows no payment by that key or order id."""

    def __init__(self, message: str = "The payment provider knows no such payment.") -> None:
        super().__init__(message)


class ProviderUnavailable(Unavailable):
    """The provider could not give an answer: timeout, network error, 5xx, or a transient refusal.

    ``outcome_unknown`` is true when the request may have reached the provider (a read timeout, a
    5xx, an in-flight duplicate): a confirm or cancel may have taken effect, so look the payment up
    by order id before telling anyone it failed.
    """

    def __init__(self, message: str, *, toss_code: str | None = None, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.toss_code = toss_code
        self.outcome_unknown = outcome_unknown


class ProviderInFlight(ProviderUnavailable):
    """The provider is still processing an earlier request with the same idempotency key."""

    def __init__(self, message: str, *, toss_code: str | None = None) -> None:
        super().__init__(message, toss_code=toss_code, outcome_unknown=True)


class ProviderAuthFailed(ProviderUnavailable):
    """The provider refused our credentials: a deployment fault, never the buyer's, never retried."""


# ---------------------------------------------------------------- our own rules (orders for awards)
class AlreadyPaid(Conflict):
    """The award or order is paid already (API.md: a paid order → 409 ``ALREADY_PAID``)."""

    code = "ALREADY_PAID"


class AwardExpired(Conflict):
    """The award's payment deadline has passed: it can no longer be paid."""

    code = "AWARD_EXPIRED"


class PaymentInProgress(Conflict):
    """The award's order is being confirmed with another payment; wait for that answer."""

    code = "PAYMENT_IN_PROGRESS"


class OrderClosed(Conflict):
    """This order's attempt failed; a new checkout issues a new order for the award."""

    code = "ORDER_CLOSED"


class AmountMismatch(Rejected):
    """The amount to confirm is not the award's (a tampered checkout): refused before Toss is asked."""

    code = "AMOUNT_MISMATCH"


class AlreadyRefunded(Conflict):
    code = "ALREADY_REFUNDED"


class NotRefundable(Conflict):
    """Only a paid order can be refunded."""

    code = "NOT_REFUNDABLE"


class PaymentsDisabled(Unavailable):
    """No Toss keys are configured for this deployment."""

    code = "PAYMENTS_DISABLED"
