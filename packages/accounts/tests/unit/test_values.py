import pytest

from sagopalgo.accounts.domain.values import check_password, normalize_email, normalize_username, username_key
from sagopalgo.kernel.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Kim@Example.COM", "kim@example.com"), ("  a.b+c@example.co.kr ", "a.b+c@example.co.kr")],
)
def test_emails_are_normalised(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "kim",
        "kim@",
        "@example.com",
        "kim@@example.com",
        "kim@example",
        "a b@example.com",
        "kim@exa mple.com",
        "x" * 250 + "@example.com",
    ],
)
def test_invalid_emails_are_refused_on_the_email_field(raw: str) -> None:
    with pytest.raises(Invalid) as info:
        normalize_email(raw)
    assert info.value.field == "email"


@pytest.mark.parametrize("raw", ["kim", "고미술상", "a.b-c_d", "x" * 30, "김1"])
def test_usernames_of_2_to_30_letters_digits_and_punctuation_pass(raw: str) -> None:
    assert normalize_username(raw) == raw


@pytest.mark.parametrize("raw", ["k", "x" * 31, "has space", "-lead", "trail.", "<script>", "", "  "])
def test_bad_usernames_are_refused(raw: str) -> None:
    with pytest.raises(Invalid) as info:
        normalize_username(raw)
    assert info.value.field == "username"


def test_username_uniqueness_ignores_case() -> None:
    assert username_key("Kim") == username_key("kIM")


@pytest.mark.parametrize("raw", ["short", "123456789", " " * 12, "x" * 129])
def test_bad_passwords_are_refused(raw: str) -> None:
    with pytest.raises(Invalid) as info:
        check_password(raw)
    assert info.value.field == "password"


def test_ten_character_password_passes() -> None:
    assert check_password("0123456789") == "0123456789"
