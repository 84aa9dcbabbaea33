"""Refusals in Korean: one message per stable ``code`` (the rules and codes stay the domain's).

The domain's own messages are English, for API clients; a page shows these instead, filled with
the fields the refusal carries (``minimumBid``...).
"""

from __future__ import annotations

from sagopalgo.accounts.domain.values import PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN
from sagopalgo.catalog.domain.lot import MAX_IMAGES
from sagopalgo.kernel.errors import DomainError, Invalid

__all__ = ["for_code", "for_error"]

_BY_CODE = {
    "BID_TOO_LOW": "입찰가가 너무 낮습니다. {minimumBid:,}원 이상으로 입찰하세요.",
    "BID_OVER_LIMIT": "입찰가는 {maximumBid:,}원을 넘을 수 없습니다.",
    "LOT_NOT_OPEN": "지금은 이 경매에 입찰할 수 없습니다 (아직 시작 전이거나 마감되었습니다).",
    "OWN_LOT": "내가 등록한 물품에는 입찰할 수 없습니다.",
    "ALREADY_LEADING": "이미 최고 입찰자입니다. 최대 입찰가를 올리는 것만 할 수 있습니다.",
    "IDEMPOTENCY_KEY_REUSED": "같은 요청이 다른 내용으로 다시 보내졌습니다. 새로고침 후 다시 시도하세요.",
    "IDEMPOTENCY_KEY_IN_USE": "같은 요청을 처리하는 중입니다. 잠시 후 다시 시도하세요.",
    "EMAIL_TAKEN": "이미 가입된 이메일입니다.",
    "USERNAME_TAKEN": "이미 사용 중인 사용자 이름입니다.",
    "INVALID_CREDENTIALS": "이메일 또는 비밀번호가 올바르지 않습니다.",
    "UNAUTHENTICATED": "로그인이 필요합니다.",
    "FORBIDDEN": "이 작업을 할 권한이 없습니다.",
    "NOT_FOUND": "찾는 페이지나 물품이 없습니다.",
    "LOT_LOCKED": "경매가 시작된 물품은 바꿀 수 없습니다.",
    "LOT_STATE_CONFLICT": "다른 변경과 겹쳤습니다. 다시 시도하세요.",
    "IMAGE_KEY_INVALID": "사진을 다시 올려 주세요 (업로드가 만료되었거나 다른 물품의 사진입니다).",
    "IMAGE_CONTENT_INVALID": "올린 파일이 JPEG, PNG, WebP 사진이 아니거나 크기가 약속과 다릅니다.",
    "PAYLOAD_TOO_LARGE": "파일이 너무 큽니다 (사진은 10MB까지).",
    "UNSUPPORTED_MEDIA_TYPE": "JPEG, PNG, WebP 사진만 올릴 수 있습니다.",
    "RATE_LIMITED": "요청이 너무 많습니다. 잠시 후 다시 시도하세요.",
    "UNAVAILABLE": "일시적으로 서비스를 이용할 수 없습니다. 잠시 후 다시 시도하세요.",
    "PAYMENTS_DISABLED": "이 서버에는 결제가 설정되어 있지 않습니다.",
    "ALREADY_PAID": "이미 결제가 끝난 낙찰입니다.",
    "AWARD_EXPIRED": "결제 기한이 지나 결제할 수 없습니다.",
    "PAYMENT_IN_PROGRESS": "이 낙찰의 결제를 처리하는 중입니다. 잠시 후 다시 확인하세요.",
    "ORDER_CLOSED": "이 주문은 끝났습니다. '내 낙찰'에서 결제를 다시 시작하세요.",
    "AMOUNT_MISMATCH": "결제 금액이 낙찰가와 다릅니다. 결제되지 않았습니다.",
    "PAYMENT_REJECTED": "결제가 거절되었습니다 ({tossCode}). 다른 결제 수단으로 다시 시도하세요.",
    "PAYMENT_ALREADY_PROCESSED": "이미 처리된 결제입니다.",
    "CSRF_FAILED": "보안 토큰이 맞지 않습니다. 페이지를 새로고침한 뒤 다시 시도하세요.",
    "INTERNAL_ERROR": "서버에 문제가 생겼습니다. 잠시 후 다시 시도하세요.",
}

_BY_FIELD = {
    "email": "올바른 이메일 주소를 입력하세요.",
    "username": f"사용자 이름은 {USERNAME_MIN}~{USERNAME_MAX}자로 입력하세요.",
    "password": f"비밀번호는 {PASSWORD_MIN}자 이상으로 입력하세요.",
    "amount": "입찰가를 원 단위 숫자로 입력하세요.",
    "maxAmount": "최대 입찰가는 입찰가보다 작을 수 없습니다.",
    "title": "제목을 입력하세요 (너무 길거나 제어 문자가 있으면 안 됩니다).",
    "description": "설명이 너무 깁니다.",
    "categoryId": "카테고리를 목록에서 고르세요.",
    "startPrice": "시작가를 확인하세요 (원 단위, 허용 범위 안).",
    "bidIncrement": "입찰 단위를 확인하세요 (원 단위, 허용 범위 안).",
    "auctionDay": "경매일을 확인하세요: 그날 09:00(한국 시간)이 아직 지나지 않은 날이어야 합니다.",
    "imageKeys": f"사진을 1~{MAX_IMAGES}장 올려 주세요 (같은 사진은 한 번만).",
    "page": "페이지 번호가 올바르지 않습니다.",
    "status": "경매 상태를 목록에서 고르세요.",
    "q": "검색어가 너무 깁니다.",
    "minPrice": "최저가를 원 단위 숫자로 입력하세요 (허용 범위 안).",
    "maxPrice": "최고가를 원 단위 숫자로, 최저가보다 작지 않게 입력하세요.",
    "sort": "정렬 방법을 목록에서 고르세요.",
}


def for_code(code: str, **fields: object) -> str:
    """The Korean message of ``code``; fields it names but lacks leave the plain sentence."""
    template = _BY_CODE.get(code)
    if template is None:
        return "요청을 처리하지 못했습니다. 입력을 확인하고 다시 시도하세요."
    try:
        return template.format(**fields)
    except (KeyError, ValueError):
        return template.split("{")[0].rstrip(" (.") + "."


def for_error(error: DomainError) -> str:
    """What a page says about a refusal the application services raised."""
    if isinstance(error, Invalid) or error.code == "VALIDATION_FAILED":
        field = getattr(error, "field", None)
        return _BY_FIELD.get(field or "", "입력값을 확인하세요.")
    return for_code(error.code, **error.extra)
