"""Authentication of the requests that Azure Bot Service sends to `POST /api/messages`.

The Agents SDK's FastAPI adapter does not check the `Authorization` header by itself (its
`CloudAdapter.process` trusts whatever identity is on `request.state`), so the route is
wrapped in `TeamsAuth`, a FastAPI dependency. It validates the Bearer token:

- RS256 signature against the JWKS of the token's issuer: Bot Framework
  (`https://login.botframework.com/v1/.well-known/keys`) for `https://api.botframework.com`,
  Entra (`https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`) for the tenant's
  v1/v2 issuers;
- `aud` equals the bot's app id;
- `iss` is on an allow-list (issuer validation is always on): the SDK's tenant-scoped default
  (`AgentAuthConfiguration.ISSUERS`: Bot Framework, the tenant's v1 and v2 issuers) plus the
  Microsoft first-party tenants that the SDK also trusts when issuer validation is on;
- an Entra token's `tid` matches the tenant in its issuer;
- `exp`/`nbf` with five minutes of clock skew, as the SDK allows.

On success the SDK's `ClaimsIdentity` is put on `request.state.claims_identity`, where the
adapter picks it up (and compares the token's `serviceurl` claim with the activity's
`serviceUrl`). Where the keys come from is injectable (`KeySource`) so that tests sign
tokens with a local key. The default, `ui.teams.keys.JwksKeySource`, fetches the keys with
bounds (one fetch at a time, a short timeout, a least interval between fetches), so that
forged tokens with made-up key ids cannot stall the server.

A valid token says that Bot Service sent the activity to our bot, not that the user belongs
to our organisation: a bot registration can be multi-tenant, and a Teams app can be used in
another tenant. `TenantCheck`, a second dependency that runs after `TeamsAuth`, therefore
refuses (403) an activity whose tenant (`conversation.tenantId`, `channelData.tenant.id`) is
not ours, and a Teams (`msteams`) activity, or one without a channel, that names no tenant.
Other channels without a tenant (Web Chat, Direct Line) pass: they reach the bot only
through the channels enabled on our own Azure Bot resource, and their token was valid.

Every refusal is an `HTTPException` (401, 403, 400), so the app's exception handler is the
one place that turns them into responses; the reason goes to the log only.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import jwt
from fastapi import HTTPException, Request
from microsoft_agents.activity import Activity, Channels
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AuthenticationConstants,
    ClaimsIdentity,
)

from ui.teams.keys import JwksKeySource

log = logging.getLogger(__name__)

# The Microsoft first-party tenants that the SDK's JwtTokenValidator always trusts when issuer
# validation is on (microsoft_agents.hosting.core.authorization._entra_issuers, public cloud).
FIRST_PARTY_TENANTS = (
    "d6d49420-f39b-4df7-a1dc-d59a935871db",
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "69e9b82d-4842-4902-8d1e-abc5b98a55e8",
)
CLOCK_SKEW_S = 300
LOGGED_TENANT_MAX = 80  # a foreign tenant value is logged, cut to this length
_ENTRA_ISSUER = re.compile(
    r"^https://(?:sts\.windows\.net/(?P<v1>[0-9a-f-]{36})/"
    r"|login\.microsoftonline\.com/(?P<v2>[0-9a-f-]{36})/v2\.0)$",
    re.IGNORECASE,
)


class AuthError(Exception):
    """The token is missing or not acceptable. The message is for the log, not the caller."""


class KeySource(Protocol):
    def signing_key(self, issuer: str, kid: str) -> Any:
        """The public key with id `kid` of `issuer` (already on the allow-list)."""
        ...


def entra_tenant(issuer: str) -> str | None:
    """The tenant id of an Entra v1/v2 issuer, lower-cased; None for other issuers."""
    match = _ENTRA_ISSUER.match(issuer)
    if not match:
        return None
    return (match.group("v1") or match.group("v2")).lower()


def jwks_uri(issuer: str) -> str:
    if issuer.lower() == AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER:
        return AuthenticationConstants.PUBLIC_ABS_JWKS_URL
    tenant = entra_tenant(issuer)
    if tenant is None:
        raise AuthError("no JWKS known for this issuer")
    return f"https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"


def accepted_issuers(tenant_id: str | None) -> list[str]:
    issuers = list(AgentAuthConfiguration(tenant_id=tenant_id).ISSUERS)
    for tenant in FIRST_PARTY_TENANTS:
        issuers.append(AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V1.format(tenant))
        issuers.append(AuthenticationConstants.VALID_TOKEN_ISSUER_URL_TEMPLATE_V2.format(tenant))
    return issuers


class TeamsAuth:
    """FastAPI dependency: a valid Bot Service token or 401."""

    def __init__(
        self,
        app_id: str,
        tenant_id: str | None,
        key_source: KeySource | None = None,
        issuers: list[str] | None = None,
    ) -> None:
        """`key_source`: where the signing keys come from; by default the published JWKS
        with the default bounds of `ui.teams.keys.JwksKeySource`."""
        self.app_id = app_id
        self.issuers = issuers if issuers is not None else accepted_issuers(tenant_id)
        self._issuers = {i.lower(): i for i in self.issuers}
        self.key_source: KeySource = key_source or JwksKeySource(jwks_uri)

    def validate(self, token: str) -> ClaimsIdentity:
        """The claims of a valid token; `AuthError` (or a PyJWT error) otherwise."""
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise AuthError("not an RS256 token with a key id")
        unverified = jwt.decode(token, options={"verify_signature": False})
        issuer = unverified.get("iss")
        # The issuer is checked before any key is looked up, so a token never makes the bot
        # fetch keys from a place of the token's choosing; it is checked again, verified, below.
        if not isinstance(issuer, str) or issuer.lower() not in self._issuers:
            raise AuthError("issuer not accepted")
        issuer = self._issuers[issuer.lower()]
        key = self.key_source.signing_key(issuer, str(header["kid"]))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            audience=self.app_id,
            issuer=issuer,
            leeway=CLOCK_SKEW_S,
            options={"require": ["exp", "iss", "aud"]},
        )
        tenant = entra_tenant(issuer)
        tid = claims.get(AuthenticationConstants.TENANT_ID_CLAIM)
        if tenant is not None and isinstance(tid, str) and tid.lower() != tenant:
            raise AuthError("tid does not match the issuer's tenant")
        return ClaimsIdentity(claims, authentication_type="Bearer", security_token=token)

    def __call__(self, request: Request) -> ClaimsIdentity:
        # A plain (sync) dependency: FastAPI runs it in a worker thread, where fetching the
        # JWKS may block without stalling the event loop.
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Authorization: Bearer <token> is required.")
        try:
            identity = self.validate(token.strip())
        except (AuthError, jwt.PyJWTError, ValueError) as exc:
            # The reason goes to the log only; the caller learns nothing about the check.
            log.warning("Teams request rejected: %s: %s", type(exc).__name__, exc)
            raise _unauthorized("Invalid token.") from None
        request.state.claims_identity = identity
        return identity


def activity_tenants(activity: Activity) -> list[str]:
    """The tenant ids an activity names: `conversation.tenantId` and `channelData.tenant.id`
    (Teams sets both). A value that is not a string is kept as its text, so that it is
    compared, and refused, rather than ignored."""
    found: list[Any] = []
    if activity.conversation is not None:
        found.append(activity.conversation.tenant_id)
    channel_data = activity.channel_data
    if isinstance(channel_data, dict) and isinstance(channel_data.get("tenant"), dict):
        found.append(channel_data["tenant"].get("id"))
    return [str(t) for t in found if t is not None and t != ""]


class TenantError(Exception):
    """The activity is not from our tenant. The message is for the log, not the caller."""

    def __init__(self, log_message: str, detail: str) -> None:
        super().__init__(log_message)
        self.detail = detail


class TenantCheck:
    """FastAPI dependency, after `TeamsAuth`: the activity is from our tenant, or 403.

    Rules (tenant ids compared case-insensitively):
    - every tenant id the activity names must be ours;
    - an activity that names none is refused when its channel is `msteams` (Teams always
      sends the tenant) or missing; other channels pass, as their token was valid.
    """

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id.lower()

    def check(self, activity: Activity) -> None:
        """Nothing if the activity may pass; `TenantError` otherwise."""
        tenants = activity_tenants(activity)
        for tenant in tenants:
            if tenant.lower() != self.tenant_id:
                raise TenantError(
                    f"tenant {tenant[:LOGGED_TENANT_MAX]!r} is not ours ({self.tenant_id})",
                    "The activity's tenant is not allowed.",
                )
        channel = activity.channel_id.channel.lower() if activity.channel_id else ""
        if not tenants and channel in ("", Channels.msteams):
            raise TenantError(
                f"no tenant on an activity of channel {channel or '(none)'!r} "
                f"(ours: {self.tenant_id})",
                "The activity has no tenant.",
            )

    async def __call__(self, request: Request) -> None:
        activity = await read_activity(request)
        try:
            self.check(activity)
        except TenantError as exc:
            log.warning("Teams activity rejected: %s", exc)
            raise _forbidden(exc.detail) from None


async def read_activity(request: Request) -> Activity:
    """The request's activity, or 400: FastAPI dependency of the route in every mode, so
    that a body the SDK cannot parse never reaches it (it would answer 500).

    Reads the body; Starlette keeps it on the request, where the SDK's adapter reads it
    again. The route's body size limit applies here as well."""
    try:
        body = await request.json()  # a body over the limit raises 413 here, unparsed
    except ValueError as exc:  # not JSON or not UTF-8
        raise _invalid_activity(exc) from None
    try:
        return Activity.model_validate(body)
    except Exception as exc:  # the SDK's model raises ValidationError, TypeError, Exception
        raise _invalid_activity(exc) from None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def _forbidden(detail: str) -> HTTPException:
    return HTTPException(status_code=403, detail=detail)


def _invalid_activity(exc: Exception) -> HTTPException:
    log.warning("Teams request rejected: not a valid activity: %s", type(exc).__name__)
    return HTTPException(status_code=400, detail="Invalid activity.")
