"""The API's dependencies, as `Annotated` types: the services (`ServicesDep`), a valid
key (`ApiKey`), an admin key (`AdminKey`), and the per-key rate limit (`rate_limited`).
What a key may read (`reader`) and how the audit log names it (`key_name`) come from
the key's record (`ui.app.keys`, `ui.app.access`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from knowledge.access import Access
from ui.app.access import of_identity
from ui.app.errors import ApiError
from ui.app.rate_limit import RateLimiter, key_id, retry_after, too_many
from ui.app.services import Services

SERVICES = "nara_services"
"""Where `ui.http.api.add_api` keeps the services on the app's state."""
API_LIMITER = "nara_api_limiter"
"""Where it keeps the per-key rate limiter."""


async def get_services(request: Request) -> Services:
    services: Services = getattr(request.app.state, SERVICES)
    return services


ServicesDep = Annotated[Services, Depends(get_services)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A key from NARA_API_KEYS (or NARA_ADMIN_KEYS): Authorization: Bearer <key>.",
)


def reader(services: Services, key: str) -> Access:
    """The documents the holder of `key` (a key that passed `api_key`) may read."""
    return of_identity(services.keys.identify(key))


def key_name(services: Services, key: str) -> str:
    """The audit log's name of a key that passed `api_key` (its record's name)."""
    identity = services.keys.identify(key)
    return identity.name if identity else "?"


async def api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    services: ServicesDep,
) -> str:
    if not services.keys.any():
        raise ApiError(
            503,
            "The REST API is off: no API keys are configured.",
            "Set NARA_API_KEYS to one or more comma-separated keys (at least 16 characters), "
            "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
        )
    challenge = {"WWW-Authenticate": 'Bearer realm="nara"'}
    if credentials is None:
        raw = request.headers.get("Authorization")
        raise ApiError(
            401,
            "Malformed Authorization header." if raw else "Missing API key.",
            "Send the header Authorization: Bearer <key>.",
            challenge,
        )
    token = credentials.credentials.strip()
    if services.keys.identify(token) is None:
        # RFC 6750, 3.1: a token that is not valid is a 401 with error="invalid_token";
        # 403 stays for a valid key without the right (admin_key).
        raise ApiError(
            401,
            "The API key is not valid.",
            "Use a key from NARA_API_KEYS; ask whoever runs the service for one.",
            {"WWW-Authenticate": 'Bearer realm="nara", error="invalid_token"'},
        )
    return token


ApiKey = Annotated[str, Depends(api_key)]


async def admin_key(key: ApiKey, services: ServicesDep) -> str:
    identity = services.keys.identify(key)
    if identity is None or not identity.admin:
        raise ApiError(
            403,
            "Uploading and deleting documents need an admin key.",
            "Use a key from NARA_ADMIN_KEYS, or one made with nara keys create NAME --admin.",
        )
    return key


AdminKey = Annotated[str, Depends(admin_key)]


async def rate_limited(request: Request, key: ApiKey) -> None:
    """Per-key rate limit (NARA_SERVE_API_RATE_PER_S, _BURST): 429 with Retry-After."""
    limiter: RateLimiter = getattr(request.app.state, API_LIMITER)
    wait = limiter.wait_s(key_id(key))
    if wait:
        message, hint = too_many(limiter, wait, "den här API-nyckeln", "NARA_SERVE_API_RATE_PER_S")
        raise ApiError(429, message, hint, {"Retry-After": retry_after(wait)})
