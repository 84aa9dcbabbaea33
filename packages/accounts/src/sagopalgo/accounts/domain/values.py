"""Value rules for sign-up: email, username and password, checked before anything is stored."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from sagopalgo.kernel.errors import Invalid

__all__ = [
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "USERNAME_MAX",
    "USERNAME_MIN",
    "check_password",
    "normalize_email",
    "normalize_username",
    "username_key",
]

USERNAME_MIN, USERNAME_MAX = 2, 30
PASSWORD_MIN, PASSWORD_MAX = 10, 128
EMAIL_MAX = 254

# Letters of any script (Korean names are common), digits, and . _ - inside.
_USERNAME = re.compile(r"^[^\W_](?:[\w.-]*[^\W_])?$")


def normalize_email(raw: str) -> str:
    """Return the canonical (lower-cased, trimmed) address or raise ``Invalid`` on ``email``.

    Addresses are compared case-insensitively: two accounts for ``A@x.kr`` and ``a@x.kr`` would be
    the same mailbox in practice. Syntax is checked by ``email-validator`` (RFC 5321/5322 and IDNA).
    """
    email = raw.strip()
    if len(email) > EMAIL_MAX:
        raise Invalid("Enter a valid email address.", field="email")
    try:
        # Syntax only: deliverability would need DNS, and the domain does no I/O.
        checked = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise Invalid(f"Enter a valid email address ({exc}).", field="email") from None
    email = checked.normalized
    return email.lower()


def normalize_username(raw: str) -> str:
    """Return the username as shown (NFC, trimmed) or raise ``Invalid`` on ``username``."""
    name = unicodedata.normalize("NFC", raw.strip())
    if not USERNAME_MIN <= len(name) <= USERNAME_MAX:
        raise Invalid(f"Username must be {USERNAME_MIN}-{USERNAME_MAX} characters long.", field="username")
    if not _USERNAME.match(name):
        raise Invalid(
            "Username may contain letters, digits, '.', '_' and '-', and must start and end with "
            "a letter or digit.",
            field="username",
        )
    return name


def username_key(name: str) -> str:
    """The uniqueness key of a username: ``Kim`` and ``kim`` are one name."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_password(password: str) -> str:
    """Accept a password of 10-128 characters that is not only whitespace."""
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"Password must be at least {PASSWORD_MIN} characters long.", field="password")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"Password must be at most {PASSWORD_MAX} characters long.", field="password")
    if not password.strip():
        raise Invalid("Password must not be blank.", field="password")
    return password
