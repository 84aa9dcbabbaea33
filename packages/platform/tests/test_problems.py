import pytest

from sagopalgo.kernel import errors
from sagopalgo.platform.http.problems import status_for


class _BidTooLow(errors.Conflict):
    code = "BID_TOO_LOW"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.Invalid("bad", field="x"), 400),
        (errors.Unauthenticated("who?"), 401),
        (errors.PaymentRequired("declined"), 402),
        (errors.Forbidden("no"), 403),
        (errors.NotFound("none"), 404),
        (errors.Conflict("clash"), 409),
        (_BidTooLow("low"), 409),
        (errors.Rejected("rule"), 422),
        (errors.RateLimited("slow", retry_after=3), 429),
        (errors.Unavailable("down"), 503),
    ],
)
def test_each_error_kind_maps_to_its_status(error: errors.DomainError, status: int) -> None:
    assert status_for(error) == status


def test_codes_are_stable_per_class_and_invalid_names_its_field() -> None:
    assert _BidTooLow("x").code == "BID_TOO_LOW"
    err = errors.Invalid("too short", field="password")
    assert err.code == "VALIDATION_FAILED"
    assert err.extra["errors"] == [{"field": "password", "message": "too short"}]
