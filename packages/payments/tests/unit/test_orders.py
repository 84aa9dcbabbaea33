"""Orders for awards: ids, idempotency keys, the life cycle's guards, and when an award is payable."""

from datetime import UTC, datetime, timedelta

import pytest

from sagopalgo.payments.domain import AlreadyPaid, AwardExpired, AwardState, AwardToPay, Order, OrderStatus

NOW = datetime(2032, 3, 2, 9, 0, tzinfo=UTC)


def award(state: AwardState = AwardState.DUE, title: str = "백자 달항아리") -> AwardToPay:
    return AwardToPay(7, 70, 3, 150_000, NOW + timedelta(hours=72), state, title)


def test_an_order_is_issued_for_the_awards_exact_amount_and_winner() -> None:
    order = Order.issue("sgp-7-abcdefgh", award(), NOW)
    assert (order.award_id, order.buyer_id, order.amount, order.order_name) == (
        7,
        3,
        150_000,
        "백자 달항아리",
    )
    assert order.status is OrderStatus.OPEN
    for bad in ("short", "has space 123", "dot.ted.id", "x" * 65, "한글주문번호입니다"):
        with pytest.raises(ValueError, match="order id"):
            Order.issue(bad, award(), NOW)


def test_the_confirm_key_is_the_same_on_every_retry_and_never_shared_by_two_payments() -> None:
    order = Order.issue("sgp-7-abcdefgh", award(), NOW)
    with pytest.raises(ValueError, match="no payment"):
        order.confirm_key()
    order.start_confirming("tgen_A" * 30, NOW)
    key = order.confirm_key()
    assert key == order.confirm_key()
    assert key.startswith("confirm:sgp-7-abcdefgh:")
    assert len(key) <= 300  # Toss's limit, whatever the payment key's length
    other = Order.issue("sgp-7-abcdefgh", award(), NOW)
    other.start_confirming("tgen_B", NOW)
    assert other.confirm_key() != key
    assert order.refund_key() == "refund:sgp-7-abcdefgh"


def test_the_life_cycle_moves_forward_only() -> None:
    order = Order.issue("sgp-7-abcdefgh", award(), NOW)
    order.start_confirming("k", NOW)
    with pytest.raises(ValueError, match="CONFIRMING"):
        order.start_confirming("k", NOW)  # one confirm at a time
    assert order.status is OrderStatus.CONFIRMING
    order.paid(payment_key="k", method="카드", approved_at=None, receipt_url=None, now=NOW)
    assert (order.status, order.approved_at) == (OrderStatus.PAID, NOW)
    with pytest.raises(ValueError, match="PAID"):
        order.failed("REJECT_CARD_COMPANY", NOW)
    order.refunded(amount=150_000, reason="파손", at=NOW, now=NOW)
    assert order.status is OrderStatus.REFUNDED
    assert [s for s in OrderStatus if s.live] == [OrderStatus.OPEN, OrderStatus.CONFIRMING, OrderStatus.PAID]


def test_an_award_is_payable_while_due_and_before_its_deadline() -> None:
    award().payable(NOW)
    with pytest.raises(AlreadyPaid):
        award(AwardState.PAID).payable(NOW)
    with pytest.raises(AwardExpired):
        award(AwardState.EXPIRED).payable(NOW)
    with pytest.raises(AwardExpired):
        award().payable(NOW + timedelta(hours=72))


def test_the_order_name_fits_tosss_hundred_characters() -> None:
    assert len(award(title="가" * 150).order_name) == 100
    assert award(title="  여러   칸   공백  ").order_name == "여러 칸 공백"
    assert award(title="").order_name == "Lot 70"
