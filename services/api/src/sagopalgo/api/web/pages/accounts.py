"""Sign up, sign in and sign out in a browser: the accounts use cases, with a session cookie."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from sagopalgo.accounts.application.service import AccountsService
from sagopalgo.api.web import views
from sagopalgo.api.web.messages import for_error
from sagopalgo.api.web.session import forget, remember, safe_next
from sagopalgo.kernel.errors import DomainError, Invalid
from sagopalgo.kernel.identity import Principal
from sagopalgo.platform.http.problems import status_for
from sagopalgo.platform.ratelimit import rate_limit_guard

__all__ = ["AccountPages"]

Next = Annotated[
    str, QueryParameter(name="next", max_length=2000, description="where to go afterwards (a path)")
]


class AccountPages(Controller):
    path = "/"

    @get("/signin", name="web:signin")
    async def signin_form(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[Principal | None], back_to: Next = "/"
    ) -> Template:
        return views.page(request, "signin.html", viewer=viewer, next=safe_next(back_to), email="")

    @post(
        "/signin",
        name="web:signin-post",
        status_code=303,
        guards=[rate_limit_guard("signin", "auth_rate_limit_per_minute")],
    )
    async def signin(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountsService]
    ) -> Redirect | Template:
        form = await request.form()
        email, back_to = views.text(form, "email"), safe_next(views.text(form, "next"))
        try:
            principal = await accounts.open_session(email=email, password=str(form.get("password") or ""))
        except DomainError as refused:
            return views.page(
                request,
                "signin.html",
                viewer=None,
                status=status_for(refused),
                next=back_to,
                email=email,
                error=for_error(refused),
                code=refused.code,
            )
        remember(request, principal)
        return Redirect(back_to, status_code=303)

    @get("/signup", name="web:signup")
    async def signup_form(
        self, request: Request[Any, Any, Any], viewer: NamedDependency[Principal | None], back_to: Next = "/"
    ) -> Template:
        return views.page(
            request, "signup.html", viewer=viewer, next=safe_next(back_to), email="", username=""
        )

    @post(
        "/signup",
        name="web:signup-post",
        status_code=303,
        guards=[rate_limit_guard("signup", "auth_rate_limit_per_minute")],
    )
    async def signup(
        self, request: Request[Any, Any, Any], accounts: NamedDependency[AccountsService]
    ) -> Redirect | Template:
        form = await request.form()
        email, username = views.text(form, "email"), views.text(form, "username")
        password, back_to = str(form.get("password") or ""), safe_next(views.text(form, "next"))
        try:
            await accounts.sign_up(email=email, username=username, password=password)
            principal = await accounts.open_session(email=email, password=password)
        except DomainError as refused:
            field = refused.field if isinstance(refused, Invalid) else None
            return views.page(
                request,
                "signup.html",
                viewer=None,
                status=status_for(refused),
                next=back_to,
                email=email,
                username=username,
                error=None if field else for_error(refused),
                errors={field: for_error(refused)} if field else {},
                code=refused.code,
            )
        remember(request, principal)
        views.notice(request, f"{principal.username}님, 환영합니다.")
        return Redirect(back_to, status_code=303)

    @post("/signout", name="web:signout", status_code=303)
    async def signout(
        self,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[Principal | None],
        accounts: NamedDependency[AccountsService],
    ) -> Redirect:
        if viewer is not None:
            await accounts.end_session(viewer)
        forget(request)
        return Redirect("/", status_code=303)
