"""How the pages show money, instants and states: Korean, Korea time, whatever the server's zone."""

from __future__ import annotations

import re
from datetime import datetime

from sagopalgo.bidding.contract import AwardStatus
from sagopalgo.catalog.contract import LotStatus
from sagopalgo.kernel.clock import SEOUL

__all__ = ["FILTERS", "LOT_STATUS", "bidder", "kst", "kst_iso", "won"]

LOT_STATUS = {
    LotStatus.SCHEDULED: "경매 예정",
    LotStatus.OPEN: "경매 중",
    LotStatus.SOLD: "낙찰",
    LotStatus.UNSOLD: "유찰",
    LotStatus.PAID: "결제 완료",
    LotStatus.WITHDRAWN: "등록 취소",
}
AWARD_STATUS = {
    AwardStatus.PAYMENT_DUE: "결제 대기",
    AwardStatus.PAID: "결제 완료",
    AwardStatus.EXPIRED: "결제 기한 만료",
}
_WEEKDAYS = "월화수목금토일"
_ALIAS = re.compile(r"^Bidder (\d+)$")


def won(amount: int | None) -> str:
    """``1234000`` → ``1,234,000원``."""
    return "" if amount is None else f"{amount:,}원"


def kst(instant: datetime | None, style: str = "full") -> str:
    """An instant in Korea time: ``11월 25일 (화) 18:00`` (``full``), ``18:00`` (``time``)."""
    if instant is None:
        return ""
    local = instant.astimezone(SEOUL)
    if style == "time":
        return f"{local:%H:%M}"
    if style == "seconds":
        return f"{local.month}월 {local.day}일 {local:%H:%M:%S}"
    return f"{local.month}월 {local.day}일 ({_WEEKDAYS[local.weekday()]}) {local:%H:%M}"


def kst_iso(instant: datetime) -> str:
    """RFC 3339 in +09:00, what the page's scripts read (the same form as the SSE events)."""
    return instant.astimezone(SEOUL).isoformat()


def bidder(alias: str) -> str:
    """Bidding's per-lot alias ("Bidder 3") in Korean; the page's script renames live ones alike."""
    found = _ALIAS.match(alias)
    return f"입찰자 {found.group(1)}" if found else alias


def lot_status(status: LotStatus | str) -> str:
    return LOT_STATUS.get(LotStatus(status), str(status))


def award_status(status: AwardStatus | str) -> str:
    return AWARD_STATUS.get(AwardStatus(status), str(status))


FILTERS = {
    "won": won,
    "kst": kst,
    "kst_iso": kst_iso,
    "bidder": bidder,
    "lot_status": lot_status,
    "award_status": award_status,
}
"""Jinja filters of every page."""
