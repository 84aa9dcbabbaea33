"""The error codes the fake answers with: HTTP status and a short message in Korean and English.

Statuses follow Toss's per-API tables (TOSS.md §5); the messages are ours, written for the fake.
An unknown code forced through ``TossPayments-Test-Code`` answers 400.
"""

from __future__ import annotations

__all__ = ["ABORTING", "CODES", "error_body", "message_for", "status_for"]

CODES: dict[str, tuple[int, str, str]] = {
    # -- request and integration problems
    "INVALID_REQUEST": (400, "요청 값이 올바르지 않습니다.", "The request is not valid."),
    "INVALID_API_KEY": (
        400,
        "시크릿 키 연동 정보가 올바르지 않습니다.",
        "The secret key does not fit this integration.",
    ),
    "INVALID_IDEMPOTENCY_KEY": (
        400,
        "멱등키는 300자를 넘을 수 없습니다.",
        "An idempotency key is at most 300 characters.",
    ),
    "UNAUTHORIZED_KEY": (401, "알 수 없는 시크릿 키입니다.", "Unknown secret key or client key."),
    "INCORRECT_BASIC_AUTH_FORMAT": (
        403,
        "Basic 인증 값이 올바르지 않습니다. 키 뒤에 ':'를 붙여 인코딩하세요.",
        "Malformed Basic credentials: encode the key followed by ':'.",
    ),
    "FORBIDDEN_REQUEST": (403, "허용되지 않는 요청입니다.", "This request is not allowed."),
    "FORBIDDEN_CONSECUTIVE_REQUEST": (
        403,
        "같은 요청이 너무 잦습니다. 잠시 뒤 다시 시도하세요.",
        "Too many repeats; retry later.",
    ),
    "IDEMPOTENT_REQUEST_PROCESSING": (
        409,
        "같은 멱등키의 앞선 요청을 처리하고 있습니다.",
        "An earlier request with this key is in progress.",
    ),
    # -- confirm outcomes
    "ALREADY_PROCESSED_PAYMENT": (400, "이미 처리가 끝난 결제입니다.", "This payment was processed already."),
    "PROVIDER_ERROR": (
        400,
        "결제 기관에 일시적인 문제가 있습니다. 잠시 뒤 다시 시도하세요.",
        "A temporary provider error; retry later.",
    ),
    "EXCEED_MAX_AMOUNT": (400, "거래 금액 한도를 넘었습니다.", "The amount is over the transaction limit."),
    "BELOW_MINIMUM_AMOUNT": (400, "최소 결제 금액보다 적습니다.", "The amount is below the minimum."),
    "INVALID_CARD_NUMBER": (400, "카드 번호가 올바르지 않습니다.", "The card number is not valid."),
    "INVALID_CARD_EXPIRATION": (
        400,
        "카드 유효기간이 올바르지 않습니다.",
        "The card's expiry date is not valid.",
    ),
    "INVALID_STOPPED_CARD": (400, "정지된 카드입니다.", "The card is suspended."),
    "INVALID_REJECT_CARD": (400, "카드 사용이 거절되었습니다.", "The card was refused."),
    "INVALID_CARD_LOST_OR_STOLEN": (
        400,
        "분실 또는 도난 신고된 카드입니다.",
        "The card is reported lost or stolen.",
    ),
    "CARD_PROCESSING_ERROR": (400, "카드사에서 오류가 났습니다.", "The card company had an error."),
    "NOT_AVAILABLE_PAYMENT": (
        400,
        "지금은 결제할 수 없는 시간입니다.",
        "Payments are not available at this hour.",
    ),
    "UNAPPROVED_ORDER_ID": (400, "아직 승인되지 않은 주문입니다.", "The order is not approved yet."),
    "DUPLICATED_ORDER_ID": (
        400,
        "이미 결제 또는 취소된 주문번호입니다.",
        "This order id was paid or cancelled already.",
    ),
    "REJECT_CARD_PAYMENT": (
        403,
        "한도 초과 또는 잔액 부족으로 결제하지 못했습니다.",
        "Over the limit or not enough balance.",
    ),
    "REJECT_CARD_COMPANY": (403, "카드사가 결제를 거절했습니다.", "The card company declined the payment."),
    "REJECT_ACCOUNT_PAYMENT": (403, "계좌 잔액이 부족합니다.", "Not enough money in the account."),
    "EXCEED_MAX_AUTH_COUNT": (403, "인증 횟수를 넘었습니다.", "Too many authentication attempts."),
    "EXCEED_MAX_ONE_DAY_AMOUNT": (403, "하루 결제 한도를 넘었습니다.", "Over the daily limit."),
    "NOT_AVAILABLE_BANK": (403, "은행 서비스 시간이 아닙니다.", "The bank is not available now."),
    "INVALID_PASSWORD": (403, "비밀번호가 올바르지 않습니다.", "The password is wrong."),
    "FDS_ERROR": (403, "이상 거래로 판단되어 결제가 막혔습니다.", "Blocked as a suspicious transaction."),
    "NOT_FOUND_PAYMENT": (404, "결제 정보를 찾을 수 없습니다.", "No such payment."),
    "NOT_FOUND_PAYMENT_SESSION": (
        404,
        "결제 가능 시간이 지나 결제 진행 정보가 없습니다.",
        "The payment window has passed; no payment session remains.",
    ),
    "NOT_FOUND": (404, "정보를 찾을 수 없습니다.", "Not found."),
    # -- cancel outcomes
    "ALREADY_CANCELED_PAYMENT": (400, "이미 취소된 결제입니다.", "This payment was cancelled already."),
    "NOT_MATCHES_REFUNDABLE_AMOUNT": (
        400,
        "환불 가능 금액이 일치하지 않습니다.",
        "The refundable amount does not match.",
    ),
    "REFUND_REJECTED": (400, "환불이 거절되었습니다.", "The refund was refused."),
    "ALREADY_REFUND_PAYMENT": (400, "이미 환불된 결제입니다.", "This payment was refunded already."),
    "NOT_CANCELABLE_AMOUNT": (403, "취소할 수 없는 금액입니다.", "This amount cannot be cancelled."),
    "NOT_CANCELABLE_PAYMENT": (403, "취소할 수 없는 결제입니다.", "This payment cannot be cancelled."),
    # -- Toss-side failures (outcome unknown)
    "FAILED_INTERNAL_SYSTEM_PROCESSING": (
        500,
        "내부 처리에 실패했습니다. 잠시 뒤 다시 시도하세요.",
        "Internal failure; retry later.",
    ),
    "FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING": (
        500,
        "결제를 끝내지 못했습니다. 다시 시도하세요.",
        "The payment did not complete.",
    ),
    "UNKNOWN_PAYMENT_ERROR": (500, "알 수 없는 결제 오류입니다.", "Unknown payment error."),
    "FAILED_REFUND_PROCESS": (500, "환불 처리에 실패했습니다.", "The refund failed."),
    "FAILED_PARTIAL_REFUND": (500, "부분 환불에 실패했습니다.", "The partial refund failed."),
    "FAILED_METHOD_HANDLING_CANCEL": (
        500,
        "결제수단 취소 처리에 실패했습니다.",
        "Cancelling at the method's company failed.",
    ),
    "COMMON_ERROR": (500, "일시적인 오류입니다.", "A temporary error."),
    # -- checkout (failUrl) and failure-object codes
    "PAY_PROCESS_CANCELED": (400, "구매자가 결제를 취소했습니다.", "The buyer cancelled the payment."),
    "PAY_PROCESS_ABORTED": (400, "결제가 중단되었습니다.", "The payment was aborted."),
    "EXPIRED_PAYMENT": (400, "결제 시간이 지났습니다. 다시 시도하세요.", "The payment expired; try again."),
}

ABORTING = frozenset(
    {
        "EXCEED_MAX_AMOUNT",
        "BELOW_MINIMUM_AMOUNT",
        "INVALID_CARD_NUMBER",
        "INVALID_CARD_EXPIRATION",
        "INVALID_STOPPED_CARD",
        "INVALID_REJECT_CARD",
        "INVALID_CARD_LOST_OR_STOLEN",
        "CARD_PROCESSING_ERROR",
        "REJECT_CARD_PAYMENT",
        "REJECT_CARD_COMPANY",
        "REJECT_ACCOUNT_PAYMENT",
        "EXCEED_MAX_AUTH_COUNT",
        "EXCEED_MAX_ONE_DAY_AMOUNT",
        "INVALID_PASSWORD",
        "FDS_ERROR",
    }
)
"""Refusals that end a confirm's payment as ``ABORTED`` (with a ``failure``) when forced on it."""


def status_for(code: str) -> int:
    return CODES.get(code, (400, "", ""))[0]


def message_for(code: str, lang: str) -> str:
    _, ko, en = CODES.get(
        code, (400, f"테스트 코드 {code} 에 따른 오류입니다.", f"Error forced by test code {code}.")
    )
    return en if lang == "en" else ko


def error_body(code: str, lang: str) -> dict[str, object]:
    body: dict[str, object] = {"code": code, "message": message_for(code, lang)}
    if code == "UNAUTHORIZED_KEY":
        body["data"] = None
    return body
