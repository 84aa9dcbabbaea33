"""Accounts use cases: rotation, reuse detection, logout, expiry by the clock."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.accounts.domain.errors import InvalidCredentials, InvalidRefreshToken, RefreshTokenReused
from sagopalgo.kernel.clock import ManualClock
from sagopalgo.kernel.errors import NotFound, Unauthenticated

PASSWORD = "correct horse battery"


async def _signed_up(service: AccountsService) -> str:
    email = f"s{uuid.uuid4().hex[:8]}@example.com"
    await service.sign_up(email=email, username=f"s{uuid.uuid4().hex[:8]}", password=PASSWORD)
    return email


async def test_sign_in_checks_the_password_and_email_case_does_not_matter(service: AccountsService) -> None:
    email = await _signed_up(service)
    pair = await service.sign_in(email=email.upper(), password=PASSWORD)
    assert pair.access_token
    assert pair.expires_in == 900
    with pytest.raises(InvalidCredentials):
        await service.sign_in(email=email, password=PASSWORD + "x")
    with pytest.raises(InvalidCredentials):
        await service.sign_in(email="nobody@example.com", password=PASSWORD)
    with pytest.raises(InvalidCredentials):
        await service.sign_in(email="not an email", password=PASSWORD)


async def test_refresh_rotates_and_a_reused_token_ends_the_whole_session(service: AccountsService) -> None:
    email = await _signed_up(service)
    first = await service.sign_in(email=email, password=PASSWORD)
    second = await service.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    third = await service.refresh(second.refresh_token)

    with pytest.raises(RefreshTokenReused):
        await service.refresh(first.refresh_token)
    # The family is revoked: even the newest token no longer works.
    with pytest.raises(InvalidRefreshToken):
        await service.refresh(third.refresh_token)


async def test_access_is_refused_once_the_session_is_revoked(service: AccountsService) -> None:
    email = await _signed_up(service)
    pair = await service.sign_in(email=email, password=PASSWORD)
    from sagopalgo.accounts.application.service import hash_refresh_token

    async with service._uow() as uow:
        stored = await uow.refresh_tokens.get(hash_refresh_token(pair.refresh_token))
    assert stored is not None
    principal = await service.principal_for(user_id=stored.user_id, session_id=stored.session_id)
    await service.logout(principal, pair.refresh_token)
    with pytest.raises(Unauthenticated):
        await service.principal_for(user_id=stored.user_id, session_id=stored.session_id)
    with pytest.raises(InvalidRefreshToken):
        await service.refresh(pair.refresh_token)


async def test_logout_with_someone_elses_refresh_token_changes_nothing(service: AccountsService) -> None:
    from sagopalgo.accounts.application.service import hash_refresh_token

    alice = await service.sign_in(email=await _signed_up(service), password=PASSWORD)
    bob = await service.sign_in(email=await _signed_up(service), password=PASSWORD)
    async with service._uow() as uow:
        bob_token = await uow.refresh_tokens.get(hash_refresh_token(bob.refresh_token))
        alice_token = await uow.refresh_tokens.get(hash_refresh_token(alice.refresh_token))
    assert bob_token is not None
    assert alice_token is not None
    bob_principal = await service.principal_for(user_id=bob_token.user_id, session_id=bob_token.session_id)
    await service.logout(bob_principal, alice.refresh_token)
    assert await service.refresh(alice.refresh_token)


async def test_refresh_tokens_expire_by_the_clock(service: AccountsService, clock: ManualClock) -> None:
    pair = await service.sign_in(email=await _signed_up(service), password=PASSWORD)
    clock.advance(timedelta(days=14))
    with pytest.raises(InvalidRefreshToken):
        await service.refresh(pair.refresh_token)


async def test_concurrent_refreshes_of_one_token_let_at_most_one_through(service: AccountsService) -> None:
    pair = await service.sign_in(email=await _signed_up(service), password=PASSWORD)
    results = await asyncio.gather(
        *(service.refresh(pair.refresh_token) for _ in range(5)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) <= 1
    # Losers are told the token is spent (or, on SQLite, that the database was busy: a retryable
    # 503, never a second pair).
    losers = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, (Unauthenticated, OperationalError)) for r in losers), losers
    # Whatever the interleaving, the spent token is now refused.
    with pytest.raises(Unauthenticated):
        await service.refresh(pair.refresh_token)


async def test_make_admin_promotes_an_existing_account(service: AccountsService) -> None:
    email = await _signed_up(service)
    view = await service.make_admin(email=email, username="ignored", password="ignored-password")
    assert "admin" in view.roles
    assert (await service.me(view.id)).roles == frozenset({"user", "admin"})


async def test_a_disabled_account_loses_every_session_and_cannot_come_back_until_enabled(
    service: AccountsService,
) -> None:
    """The original built the principal from the token's claims alone: a banned user kept access."""
    from sagopalgo.accounts.application.service import hash_refresh_token

    email = await _signed_up(service)
    bystander = await service.sign_in(email=await _signed_up(service), password=PASSWORD)
    pairs = [await service.sign_in(email=email, password=PASSWORD) for _ in range(2)]
    async with service._uow() as uow:
        stored = [await uow.refresh_tokens.get(hash_refresh_token(p.refresh_token)) for p in pairs]
    sessions = [(t.user_id, t.session_id) for t in stored if t is not None]
    for user_id, session_id in sessions:
        await service.principal_for(user_id=user_id, session_id=session_id)

    disabled = await service.disable(email.upper())
    assert disabled.email == email
    for user_id, session_id in sessions:  # tokens already handed out stop working at once
        with pytest.raises(Unauthenticated):
            await service.principal_for(user_id=user_id, session_id=session_id)
    for pair in pairs:
        with pytest.raises(InvalidRefreshToken):
            await service.refresh(pair.refresh_token)
    with pytest.raises(InvalidCredentials):
        await service.sign_in(email=email, password=PASSWORD)
    assert await service.refresh(bystander.refresh_token)  # nobody else is touched

    await service.enable(email)
    for user_id, session_id in sessions:  # enabling does not bring the old sessions back
        with pytest.raises(Unauthenticated):
            await service.principal_for(user_id=user_id, session_id=session_id)
    assert await service.sign_in(email=email, password=PASSWORD)
    with pytest.raises(NotFound):
        await service.disable("nobody@example.com")


async def test_a_session_check_is_remembered_briefly_and_forgotten_at_logout(
    service: AccountsService, clock: ManualClock
) -> None:
    from sagopalgo.accounts.application.service import hash_refresh_token

    remembering = AccountsService(
        uow=service._uow,
        hasher=service._hasher,
        tokens=service._tokens,
        clock=clock,
        refresh_ttl=timedelta(days=14),
        principal_ttl=timedelta(seconds=2),
    )
    email = await _signed_up(service)
    first, second = [await service.sign_in(email=email, password=PASSWORD) for _ in range(2)]
    async with service._uow() as uow:
        one = await uow.refresh_tokens.get(hash_refresh_token(first.refresh_token))
        two = await uow.refresh_tokens.get(hash_refresh_token(second.refresh_token))
    assert one is not None
    assert two is not None
    principal = await remembering.principal_for(user_id=one.user_id, session_id=one.session_id)
    await remembering.principal_for(user_id=two.user_id, session_id=two.session_id)

    await service.logout(principal, first.refresh_token)  # ended by "another process"
    assert await remembering.principal_for(user_id=one.user_id, session_id=one.session_id) == principal
    clock.advance(timedelta(seconds=2))
    with pytest.raises(Unauthenticated):  # ...and honoured here once the memory runs out
        await remembering.principal_for(user_id=one.user_id, session_id=one.session_id)

    await remembering.principal_for(user_id=two.user_id, session_id=two.session_id)  # remembered anew
    await remembering.logout(principal, second.refresh_token)  # ended here: forgotten at once
    with pytest.raises(Unauthenticated):
        await remembering.principal_for(user_id=two.user_id, session_id=two.session_id)
    with pytest.raises(Unauthenticated):  # someone else's user id never matches a remembered session
        await remembering.principal_for(user_id=one.user_id + 1, session_id=one.session_id)


async def test_a_browser_session_is_judged_like_a_token_and_ends_on_sign_out(
    service: AccountsService,
) -> None:
    email = await _signed_up(service)
    with pytest.raises(InvalidCredentials):
        await service.open_session(email=email, password=PASSWORD + "x")
    browser = await service.open_session(email=email.upper(), password=PASSWORD)
    again = await service.principal_for(user_id=browser.user_id, session_id=browser.session_id)
    assert again == browser
    other = await service.open_session(email=email, password=PASSWORD)
    await service.end_session(browser)
    with pytest.raises(Unauthenticated):
        await service.principal_for(user_id=browser.user_id, session_id=browser.session_id)
    # Another device's session of the same user is untouched, and signing out twice is harmless.
    assert await service.principal_for(user_id=other.user_id, session_id=other.session_id) == other
    await service.end_session(browser)


async def test_concurrent_checks_of_one_session_share_one_lookup(
    service: AccountsService, clock: ManualClock
) -> None:
    from sagopalgo.accounts.application.service import hash_refresh_token

    opened = 0

    def counting_uow():  # type: ignore[no-untyped-def]
        nonlocal opened
        opened += 1
        return service._uow()

    remembering = AccountsService(
        uow=counting_uow,
        hasher=service._hasher,
        tokens=service._tokens,
        clock=clock,
        refresh_ttl=timedelta(days=14),
        principal_ttl=timedelta(seconds=2),
    )
    email = await _signed_up(service)
    pair = await service.sign_in(email=email, password=PASSWORD)
    async with service._uow() as uow:
        stored = await uow.refresh_tokens.get(hash_refresh_token(pair.refresh_token))
    assert stored is not None

    answers = await asyncio.gather(
        *(remembering.principal_for(user_id=stored.user_id, session_id=stored.session_id) for _ in range(50))
    )
    assert opened == 1
    assert {a.user_id for a in answers} == {stored.user_id}

    # A refusal is shared as well, and nothing of it is remembered.
    await service.logout(answers[0], pair.refresh_token)
    clock.advance(timedelta(seconds=2))
    results = await asyncio.gather(
        *(remembering.principal_for(user_id=stored.user_id, session_id=stored.session_id) for _ in range(20)),
        return_exceptions=True,
    )
    assert opened == 2
    assert all(isinstance(r, Unauthenticated) for r in results)
