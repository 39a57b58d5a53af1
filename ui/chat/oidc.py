"""Sign-in to the chat with OpenID Connect (issue #14): Entra ID, or any standard
provider, configured by NARA_OIDC_* (see README, section Sign-in).

`add_oidc` adds to the app:

- the encrypted session cookie (ui/chat/oidc_session.py);
- `GET /auth/sign-in?next=/path`: the authorisation code flow with PKCE (S256), by
  Authlib's Starlette client, which keeps the state, nonce and code verifier in the
  session and checks the ID token's signature, issuer, audience and nonce;
- `GET /auth/callback`: the provider's redirect back; the user, their groups (claim
  NARA_OIDC_GROUP_CLAIM) and whether they are an administrator (NARA_OIDC_ADMIN_GROUPS)
  go into the session, and the browser back to `next`;
- `GET|POST /auth/sign-out`: the session is emptied, then the browser is sent to the
  provider's end-session endpoint when it has one, which sends it back to
  `/auth/signed-out`.

Sign-in and sign-out each leave an audit entry (interface `chat`, the user's id
pseudonymised by ui/app/audit.py). The chat itself is closed to requests without a session
by ui/chat/oidc_gate.py.
"""

from __future__ import annotations

import contextlib
import html
import logging
from typing import Any

import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import FastAPI, Request
from joserfc.errors import JoseError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from nara.errors import NaraError
from nara.settings import Settings
from ui.app.audit import AuditLog
from ui.app.oidc_user import SIGN_IN_PATH, signed_in, store_user, user_from_claims
from ui.chat.access import chat_client
from ui.chat.oidc_session import EncryptedSessionMiddleware

log = logging.getLogger(__name__)

CALLBACK_PATH = "/auth/callback"
SIGN_OUT_PATH = "/auth/sign-out"
SIGNED_OUT_PATH = "/auth/signed-out"
NEXT = "next"
"""Session key of the page to return to after sign-in."""
CLIENT_NAME = "nara"


REFUSALS = (OAuthError, JoseError, httpx.HTTPError, KeyError, ValueError)
"""What ends a sign-in's callback unsigned-in: the provider's error or denial (OAuthError),
an ID token whose signature, issuer, audience or nonce does not verify (JoseError), the
provider not answering, a token without `sub`."""


class SignInError(NaraError):
    """The sign-in with the identity provider did not complete."""


def oidc_client(settings: Settings) -> StarletteOAuth2App:
    """Authlib's client for the configured provider (metadata read from the issuer's
    /.well-known/openid-configuration on first use), with PKCE S256."""
    assert settings.oidc.issuer and settings.oidc.client_secret
    oauth = OAuth()
    client = oauth.register(
        name=CLIENT_NAME,
        server_metadata_url=settings.oidc.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc.client_id,
        client_secret=settings.oidc.client_secret.get_secret_value(),
        client_kwargs={"scope": settings.oidc.scopes, "code_challenge_method": "S256"},
    )
    assert isinstance(client, StarletteOAuth2App)
    return client


def safe_next(target: str | None) -> str:
    """`target` when it is a path on this server ("/..."), else "/": a sign-in never
    sends the browser to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def page(status: int, title: str, text: str, link: str, link_text: str) -> HTMLResponse:
    """A small Swedish page for the browser (sign-in errors, signed out)."""
    body = (
        '<!doctype html><html lang="sv"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f'<p><a href="{html.escape(link)}">{html.escape(link_text)}</a></p></body></html>'
    )
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(status: int, error: NaraError) -> HTMLResponse:
    return page(status, "Inloggningen misslyckades", str(error), SIGN_IN_PATH, "Logga in igen")


class SignInRoutes:
    """The handlers of /auth/*, over one client and the audit log."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = oidc_client(settings)
        self.audit = AuditLog.from_settings(settings)

    def public_url(self, request: Request, path: str, name: str) -> str:
        """The URL of one of our /auth/* routes as the provider knows it: beside
        NARA_OIDC_REDIRECT_URL when that is set (behind a proxy), else from the request."""
        registered = self.settings.oidc.redirect_url
        if registered and registered.endswith(CALLBACK_PATH):
            return registered.removesuffix(CALLBACK_PATH) + path
        return str(request.url_for(name))

    def redirect_uri(self, request: Request) -> str:
        return self.settings.oidc.redirect_url or str(request.url_for("oidc_callback"))

    async def sign_in(self, request: Request) -> Response:
        request.session[NEXT] = safe_next(request.query_params.get(NEXT))
        try:
            return await self.client.authorize_redirect(request, self.redirect_uri(request))
        except (httpx.HTTPError, OAuthError, ValueError) as exc:
            log.warning("The identity provider does not answer: %s", exc)
            error = SignInError(
                "Inloggningstjänsten svarar inte.",
                "Försök igen om en stund; kvarstår felet, be den som driver tjänsten "
                "kontrollera NARA_OIDC_ISSUER.",
            )
            return error_page(503, error)

    async def callback(self, request: Request) -> Response:
        try:
            token = await self.client.authorize_access_token(request)
            user = user_from_claims(token.get("userinfo") or {}, self.settings)
        except REFUSALS as exc:  # denied, forged, replayed, a bad token, no provider
            log.warning("A sign-in was refused: %s: %s", type(exc).__name__, exc)
            self._audit(request, None, "sign_in", "refused")
            error = SignInError(
                "Inloggningen kunde inte slutföras.",
                "Logga in igen från början; använd samma webbläsarflik hela vägen.",
            )
            return error_page(401, error)
        back = safe_next(request.session.get(NEXT))
        request.session.clear()  # nothing from before the sign-in carries over
        store_user(request.session, user)
        self._audit(request, user.user_id, "sign_in", "ok")
        return RedirectResponse(back, status_code=302)

    async def sign_out(self, request: Request) -> Response:
        user = signed_in(request.session, self.settings)
        request.session.clear()
        if user is not None:
            self._audit(request, user.user_id, "sign_out", "ok")
        try:
            metadata = await self.client.load_server_metadata()
        except (httpx.HTTPError, ValueError):
            metadata = {}
        if not metadata.get("end_session_endpoint"):
            return RedirectResponse(SIGNED_OUT_PATH, status_code=302)
        back = self.public_url(request, SIGNED_OUT_PATH, "oidc_signed_out")
        return await self.client.logout_redirect(
            request, post_logout_redirect_uri=back, client_id=self.settings.oidc.client_id
        )

    async def signed_out(self, request: Request) -> Response:
        """The page the provider sends the browser back to after its sign-out; the
        sign-out's state is taken out of the session (a page without it is shown too)."""
        with contextlib.suppress(OAuthError):  # no or an old state: the page all the same
            await self.client.validate_logout_response(request)
        return page(
            200,
            "Du är utloggad",
            "Du har loggat ut från Nära vård-assistenten.",
            SIGN_IN_PATH,
            "Logga in igen",
        )

    def _audit(self, request: Request, user_id: str | None, action: Any, status: str) -> None:
        host = request.client.host if request.client else None
        self.audit.record("chat", chat_client(user_id, host), action, status=status)


def add_oidc(app: FastAPI, settings: Settings) -> None:
    """Add the session cookie and the /auth/* routes to `app` (before the chat's mount)."""
    assert settings.oidc.session_key is not None
    routes = SignInRoutes(settings)
    app.add_api_route(SIGN_IN_PATH, routes.sign_in, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        CALLBACK_PATH,
        routes.callback,
        methods=["GET"],
        name="oidc_callback",
        include_in_schema=False,
    )
    app.add_api_route(
        SIGN_OUT_PATH, routes.sign_out, methods=["GET", "POST"], include_in_schema=False
    )
    app.add_api_route(
        SIGNED_OUT_PATH,
        routes.signed_out,
        methods=["GET"],
        name="oidc_signed_out",
        include_in_schema=False,
    )
    app.add_middleware(
        EncryptedSessionMiddleware,
        secret=settings.oidc.session_key.get_secret_value(),
        max_age_s=settings.oidc.session_max_age_s,
    )
    log.info(
        "Sign-in with OpenID Connect is on: issuer %s, client %s.",
        settings.oidc.issuer,
        settings.oidc.client_id,
    )
