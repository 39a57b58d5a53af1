"""Who is signed in to the chat with OpenID Connect, as kept in the session cookie.

The session (ui/chat/oidc_session.py) holds, under `USER`, the user's id (the token's `sub`),
display name, groups (from the claim NARA_OIDC_GROUP_CLAIM) and the time of sign-in; a
user is an administrator when a group is in NARA_OIDC_ADMIN_GROUPS. A sign-in
older than NARA_OIDC_SESSION_MAX_AGE_S no longer counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from starlette.requests import HTTPConnection

from nara.settings import Settings

log = logging.getLogger(__name__)

SIGN_IN_PATH = "/auth/sign-in"
"""Where the browser goes to sign in (ui/chat/oidc.py)."""
USER = "user"
"""Key of the signed-in user in the session."""
USER_PREFIX = "oidc:"
"""Prefix of a signed-in user's id in the chat (its rate limit and audit actor)."""
MAX_SESSION_GROUPS = 64
"""Most groups kept in the cookie: browsers keep cookies of up to 4096 bytes, and 64
group object ids (36 characters each) fill about 3 kB once encrypted. Beyond that the
first 64 are kept and a warning is logged; README says how to narrow the claim in Entra."""
OVERAGE_CLAIM = "_claim_names"
"""Entra's marker that the groups did not fit in the token (over 200 groups)."""


@dataclass(frozen=True)
class SignedIn:
    """A signed-in user of the chat."""

    sub: str
    name: str
    groups: tuple[str, ...]
    admin: bool
    at: float

    @property
    def user_id(self) -> str:
        """The id the chat's rate limit and audit log know the user by."""
        return USER_PREFIX + self.sub


def groups_of(claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
    """The user's groups or roles: the claim's list (or a single string, or several
    separated by spaces), in order, without repeats; none when the claim is absent."""
    value = claims.get(claim)
    if isinstance(value, str):
        items: list[Any] = value.split()
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = []
        if claim in (claims.get(OVERAGE_CLAIM) or {}):
            log.warning(
                "The token's %r claim was left out by the provider (too many groups); "
                "the user gets no groups. See README, Sign-in.",
                claim,
            )
    groups = tuple(dict.fromkeys(str(g) for g in items if str(g)))
    if len(groups) > MAX_SESSION_GROUPS:
        log.warning("A user has %d groups; the first %d are kept.", len(groups), MAX_SESSION_GROUPS)
        groups = groups[:MAX_SESSION_GROUPS]
    return groups


def is_admin(groups: tuple[str, ...], settings: Settings) -> bool:
    """Whether a user with `groups` is an administrator (NARA_OIDC_ADMIN_GROUPS as it is
    now, so a change of the setting holds for sessions already open)."""
    return bool(set(groups) & set(settings.oidc.admin_groups))


def user_from_claims(claims: Mapping[str, Any], settings: Settings) -> SignedIn:
    """The signed-in user of an ID token's verified claims."""
    groups = groups_of(claims, settings.oidc.group_claim)
    name = str(claims.get("name") or claims.get("preferred_username") or claims.get("email") or "")
    return SignedIn(
        sub=str(claims["sub"]),
        name=name,
        groups=groups,
        admin=is_admin(groups, settings),
        at=time.time(),
    )


def store_user(session: dict[str, Any], user: SignedIn) -> None:
    """Keep `user` in the session (the cookie is written with the response); the admin
    flag is not kept but worked out from the groups on each request."""
    data = asdict(user)
    data["groups"] = list(user.groups)
    del data["admin"]
    session[USER] = data


def signed_in(session: Mapping[str, Any] | None, settings: Settings) -> SignedIn | None:
    """The user of a session, if signed in within NARA_OIDC_SESSION_MAX_AGE_S."""
    data = (session or {}).get(USER)
    if not isinstance(data, dict):
        return None
    try:
        groups = tuple(str(g) for g in data["groups"])
        user = SignedIn(
            sub=str(data["sub"]),
            name=str(data["name"]),
            groups=groups,
            admin=is_admin(groups, settings),
            at=float(data["at"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    if time.time() - user.at > settings.oidc.session_max_age_s:
        return None
    return user


def session_of(request: Any) -> Mapping[str, Any] | None:
    """The session of a Starlette request or of a Gradio `gr.Request` (whose own
    `request` attribute is the Starlette request); None when there is none."""
    if not isinstance(request, HTTPConnection):
        request = getattr(request, "request", None)
    if not isinstance(request, HTTPConnection):
        return None
    session = request.scope.get("session")
    return session if isinstance(session, Mapping) else None
