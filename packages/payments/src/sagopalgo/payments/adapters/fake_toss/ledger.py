"""The fake's payments and Toss's rules for them: checkout, confirm, lookups, cancel, expiry.

Synchronous and single-threaded by contract: ``FakeToss`` calls it under its lock. Every rule
answers a ``TossError`` (status from ``codes``) the way TOSS.md §3, §5 and §8 describe, and every
status change Toss would announce lands in ``outbox`` for the webhook emitter.
"""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sagopalgo.kernel.clock import SEOUL, Clock
from sagopalgo.payments.adapters.fake_toss.codes import message_for, status_for

__all__ = ["API_VERSION", "Ledger", "Payment", "TossError", "parse_amount"]

API_VERSION = "2022-11-16"
_ANNOUNCED = frozenset({"DONE", "ABORTED", "EXPIRED", "CANCELED", "PARTIAL_CANCELED"})
_APPROVED = frozenset({"DONE", "PARTIAL_CANCELED", "CANCELED"})
_METHOD = {"ko": "카드", "en": "CARD"}


class TossError(Exception):
    """An answer in Toss's error shape: the HTTP status follows the code."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status if status is not None else status_for(code)


@dataclass(slots=True)
class _Cancel:
    amount: int
    reason: str
    canceled_at: datetime
    transaction_key: str
    refundable_after: int


@dataclass(slots=True)
class Payment:
    payment_key: str
    order_id: str
    order_name: str
    amount: int
    status: str
    requested_at: datetime
    authenticated_at: datetime | None = None
    approved_at: datetime | None = None
    balance: int = 0
    last_transaction_key: str | None = None
    receipt_url: str | None = None
    failure: tuple[str, str] | None = None
    cancels: list[_Cancel] = field(default_factory=list)

    def to_json(self, lang: str, origin: str) -> dict[str, Any]:
        """The Payment object of API version 2022-11-16, with explicit nulls as Toss sends them."""
        approved = self.status in _APPROVED
        vat = int((Decimal(self.balance) / 11).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        card = None
        if approved:
            card = {
                "amount": self.amount,
                "issuerCode": "71",
                "acquirerCode": "71",
                "number": "43301234****123*",
                "installmentPlanMonths": 0,
                "approveNo": "00000000",
                "useCardPoint": False,
                "cardType": "신용",
                "ownerType": "개인",
                "acquireStatus": "CANCELED" if self.status == "CANCELED" else "READY",
                "isInterestFree": False,
                "interestPayer": None,
            }
        return {
            "version": API_VERSION,
            "paymentKey": self.payment_key,
            "type": "NORMAL",
            "orderId": self.order_id,
            "orderName": self.order_name,
            "mId": "tosspayments",
            "currency": "KRW",
            "method": _METHOD[lang] if approved else None,
            "totalAmount": self.amount,
            "balanceAmount": self.balance,
            "status": self.status,
            "requestedAt": _time(self.requested_at),
            "approvedAt": _time(self.approved_at),
            "useEscrow": False,
            "lastTransactionKey": self.last_transaction_key,
            "transactionKey": self.last_transaction_key,
            "suppliedAmount": self.balance - vat,
            "vat": vat,
            "cultureExpense": False,
            "taxFreeAmount": 0,
            "taxExemptionAmount": 0,
            "cancels": [
                {
                    "transactionKey": c.transaction_key,
                    "cancelReason": c.reason,
                    "taxExemptionAmount": 0,
                    "canceledAt": _time(c.canceled_at),
                    "transferDiscountAmount": 0,
                    "easyPayDiscountAmount": 0,
                    "receiptKey": None,
                    "cancelAmount": c.amount,
                    "taxFreeAmount": 0,
                    "refundableAmount": c.refundable_after,
                    "cardDiscountAmount": 0,
                    "cancelStatus": "DONE",
                    "cancelRequestId": None,
                }
                for c in self.cancels
            ]
            or None,
            "isPartialCancelable": True,
            "card": card,
            "virtualAccount": None,
            "mobilePhone": None,
            "giftCertificate": None,
            "transfer": None,
            "easyPay": None,
            "foreignEasyPay": None,
            "metadata": None,
            "receipt": {"url": self.receipt_url} if self.receipt_url else None,
            "checkout": {"url": f"{origin}/v1/payments/{self.payment_key}/checkout"},
            "country": "KR",
            "failure": {"code": self.failure[0], "message": self.failure[1]} if self.failure else None,
            "cashReceipt": None,
            "cashReceipts": None,
            "discount": None,
            "secret": None,
        }


def _time(instant: datetime | None) -> str | None:
    return instant.astimezone(SEOUL).isoformat(timespec="seconds") if instant else None


def _key(prefix: str, length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def parse_amount(value: object) -> int:
    """A positive integer, sent as a JSON number or as a numeric string (as Toss's samples do)."""
    if isinstance(value, bool):
        raise TossError("INVALID_REQUEST")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 1:
        raise TossError("INVALID_REQUEST")
    return value


class Ledger:
    def __init__(
        self,
        clock: Clock,
        *,
        confirm_window: timedelta,
        checkout_window: timedelta,
        order_id_pattern: str,
        order_mismatch_code: str,
        amount_mismatch_code: str,
        already_canceled_code: str,
    ) -> None:
        self._clock = clock
        self._confirm_window = confirm_window
        self._checkout_window = checkout_window
        self._order_id = re.compile(order_id_pattern)
        self._order_mismatch = order_mismatch_code
        self._amount_mismatch = amount_mismatch_code
        self._already_canceled = already_canceled_code
        self._payments: dict[str, Payment] = {}
        self._by_order: dict[str, list[str]] = {}
        self.outbox: list[Payment] = []
        """Payments whose status changed to one Toss announces by webhook, oldest first."""

    # ------------------------------------------------------------------ checkout (the browser's part)
    def open(self, order_id: str, amount: object, order_name: str) -> Payment:
        """A payment window opened for the order: ``READY`` for the 30-minute checkout window."""
        self.expire_due()
        if not isinstance(order_id, str) or not self._order_id.fullmatch(order_id):
            raise TossError("INVALID_REQUEST")
        if not isinstance(order_name, str) or not 1 <= len(order_name) <= 100:
            raise TossError("INVALID_REQUEST")
        value = parse_amount(amount)
        if any(self._payments[k].status in _APPROVED for k in self._by_order.get(order_id, ())):
            raise TossError("DUPLICATED_ORDER_ID")
        payment = Payment(
            payment_key=_key("tgen_", 20),
            order_id=order_id,
            order_name=order_name,
            amount=value,
            status="READY",
            requested_at=self._clock.now(),
            balance=value,
        )
        self._payments[payment.payment_key] = payment
        self._by_order.setdefault(order_id, []).append(payment.payment_key)
        return payment

    def authenticate(self, payment_key: str) -> Payment:
        """The buyer passed the card's authentication: ``IN_PROGRESS``, 10 minutes to confirm."""
        self.expire_due()
        payment = self._payments.get(payment_key)
        if payment is None:
            raise TossError("NOT_FOUND_PAYMENT")
        if payment.status == "EXPIRED":
            raise TossError("NOT_FOUND_PAYMENT_SESSION")
        if payment.status != "READY":
            raise TossError("ALREADY_PROCESSED_PAYMENT")
        payment.status = "IN_PROGRESS"
        payment.authenticated_at = self._clock.now()
        return payment

    # ------------------------------------------------------------------ the API
    def confirm(self, body: Any, origin: str) -> Payment:
        if not isinstance(body, dict):
            raise TossError("INVALID_REQUEST")
        payment_key, order_id = body.get("paymentKey"), body.get("orderId")
        if not isinstance(payment_key, str) or not 1 <= len(payment_key) <= 200:
            raise TossError("INVALID_REQUEST")
        if not isinstance(order_id, str) or not self._order_id.fullmatch(order_id):
            raise TossError("INVALID_REQUEST")
        amount = parse_amount(body.get("amount"))
        self.expire_due()
        payment = self._payments.get(payment_key)
        if payment is None:
            raise TossError("NOT_FOUND_PAYMENT")
        if payment.status in {"EXPIRED", "READY"}:
            raise TossError("NOT_FOUND_PAYMENT_SESSION")
        if payment.status != "IN_PROGRESS":
            raise TossError("ALREADY_PROCESSED_PAYMENT")
        if order_id != payment.order_id:
            raise TossError(self._order_mismatch)
        if amount != payment.amount:
            raise TossError(self._amount_mismatch)
        payment.status = "DONE"
        payment.approved_at = self._clock.now()
        payment.balance = payment.amount
        payment.last_transaction_key = _key("txrd_", 26).lower()
        payment.receipt_url = f"{origin}/_test/receipts/{payment.payment_key}"
        self._changed(payment)
        return payment

    def abort(self, payment_key: object, code: str, message: str) -> None:
        """A forced refusal on confirm ends the attempt as Toss would: ``ABORTED`` with a failure."""
        payment = self._payments.get(payment_key) if isinstance(payment_key, str) else None
        if payment is not None and payment.status == "IN_PROGRESS":
            payment.status = "ABORTED"
            payment.failure = (code, message)
            self._changed(payment)

    def by_key(self, payment_key: str) -> Payment:
        self.expire_due()
        payment = self._payments.get(payment_key)
        if payment is None:
            raise TossError("NOT_FOUND_PAYMENT")
        return payment

    def by_order(self, order_id: str) -> Payment:
        """The latest attempt for the order (TOSS.md leaves several attempts unclear)."""
        self.expire_due()
        keys = self._by_order.get(order_id)
        if not keys:
            raise TossError("NOT_FOUND_PAYMENT")
        return self._payments[keys[-1]]

    def cancel(self, payment_key: str, body: Any) -> Payment:
        if not isinstance(body, dict):
            raise TossError("INVALID_REQUEST")
        reason = body.get("cancelReason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
            raise TossError("INVALID_REQUEST")
        amount = parse_amount(body["cancelAmount"]) if body.get("cancelAmount") is not None else None
        refundable = body.get("refundableAmount")
        payment = self.by_key(payment_key)
        if payment.status == "CANCELED":
            raise TossError(self._already_canceled)
        if payment.status not in {"DONE", "PARTIAL_CANCELED"}:
            raise TossError("NOT_CANCELABLE_PAYMENT")
        if refundable is not None and parse_amount(refundable) != payment.balance:
            raise TossError("NOT_MATCHES_REFUNDABLE_AMOUNT")
        amount = payment.balance if amount is None else amount
        if amount > payment.balance:
            raise TossError("NOT_CANCELABLE_AMOUNT")
        payment.balance -= amount
        payment.last_transaction_key = _key("txrd_", 26).lower()
        payment.cancels.append(
            _Cancel(amount, reason, self._clock.now(), payment.last_transaction_key, payment.balance)
        )
        payment.status = "CANCELED" if payment.balance == 0 else "PARTIAL_CANCELED"
        self._changed(payment)
        return payment

    # ------------------------------------------------------------------ time
    def expire_due(self) -> None:
        """Windows that passed on the clock: an unconfirmed or unauthenticated attempt ``EXPIRED``."""
        now = self._clock.now()
        for payment in self._payments.values():
            if payment.status == "IN_PROGRESS" and payment.authenticated_at is not None:
                due = payment.authenticated_at + self._confirm_window
            elif payment.status == "READY":
                due = payment.requested_at + self._checkout_window
            else:
                continue
            if now >= due:
                payment.status = "EXPIRED"
                payment.failure = ("EXPIRED_PAYMENT", message_for("EXPIRED_PAYMENT", "ko"))
                self._changed(payment)

    def _changed(self, payment: Payment) -> None:
        if payment.status in _ANNOUNCED:
            self.outbox.append(copy.deepcopy(payment))

    def announce(self) -> list[Payment]:
        """Take the pending announcements: snapshots taken at each change, oldest first."""
        pending = list(self.outbox)
        self.outbox.clear()
        return pending
