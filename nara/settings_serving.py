"""The serving groups of settings: `NARA_CHAT_*`, `NARA_SERVE_*` and `NARA_OIDC_*`
(issue #16: queues, rate limits, shutdown; issue #14: sign-in). See README, Settings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from nara.settings_groups import (
    PUBLIC_SECTOR_DOMAINS,
    Group,
    is_placeholder,
    split_domains,
    split_list,
)

OIDC_SESSION_KEY_CHARS = 32
"""Least length of NARA_OIDC_SESSION_KEY: 32 characters, e.g. `secrets.token_urlsafe(32)`."""


class ChatSettings(Group):
    """`NARA_CHAT_*`: the web chat's queue, uploads, rate limit and sign-in."""

    queue_size: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Most chat events waiting at once; more are refused with 'queue full'. "
        "32 jobs of about 0.2 s each keep the last one waiting a few seconds.",
    )
    concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Chat events run at the same time (Gradio's default_concurrency_limit).",
    )
    upload_max_age_s: int = Field(
        default=3600,
        ge=60,
        description="Files uploaded to the chat and not read in are deleted after this many "
        "seconds (checked as often); read-in files are deleted at once.",
    )
    rate_per_s: float = Field(
        default=0.5,
        gt=0,
        description="Questions, feedback, uploads and removals per second one chat user "
        "(signed in: the user name; open: the client address) may send over time.",
    )
    burst: int = Field(default=10, ge=1, description="Chat actions one user may send at once.")
    sign_in: Literal["required", "open"] = Field(
        default="required",
        description="'required': the chat asks for a sign-in whose password is a key of "
        "NARA_API_KEYS or NARA_ADMIN_KEYS; with no key configured the chat is off. 'open': "
        "anyone who reaches the server may use the chat (see README, Security).",
    )


class ServeSettings(Group):
    """`NARA_SERVE_*`: Teams key fetching, untrusted links, rate limits, writes, shutdown."""

    jwks_timeout_s: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description="Timeout of one fetch of the Teams token signing keys (JWKS), seconds.",
    )
    jwks_refetch_s: float = Field(
        default=60.0,
        ge=0,
        description="Least time between two fetches of one issuer's signing keys, seconds: a "
        "token with an unknown key id in between is refused without a fetch.",
    )
    link_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(PUBLIC_SECTOR_DOMAINS),
        description="Comma-separated domains whose links in a document are not flagged at "
        "ingest (a domain covers its subdomains). Default: Swedish national health and "
        "government bodies, SKR, 1177.se and the 21 regions' own domains.",
    )
    api_rate_per_s: float = Field(
        default=10.0,
        gt=0,
        description="Requests per second one API key may make on /v1 over time (its bucket "
        "refills at this rate); more get 429 with Retry-After.",
    )
    api_burst: int = Field(
        default=60, ge=1, description="Requests one API key may make at once (bucket size)."
    )
    teams_rate_per_s: float = Field(
        default=0.5,
        gt=0,
        description="Teams messages per second one user in one conversation may send over "
        "time; more are answered with a Swedish 'wait' message, not by the assistant.",
    )
    teams_burst: int = Field(
        default=10, ge=1, description="Teams messages one user may send at once."
    )
    write_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="How long an upload or removal in the server waits for another write "
        "(an ingest, another upload) before it is refused with 503 'upptagen'. "
        "`nara ingest` waits as long as it takes.",
    )
    shutdown_s: float = Field(
        default=5.0,
        ge=1,
        le=600,
        description="On SIGTERM the server cancels running ingests, gives requests this "
        "long to finish, and then ends (nothing stored is lost: each document write is "
        "atomic).",
    )

    @field_validator("link_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        return split_domains(value)


class OidcSettings(Group):
    """`NARA_OIDC_*`: sign-in with OpenID Connect; see README, section Sign-in."""

    issuer: str | None = Field(
        default=None,
        description="Issuer URL of the OpenID Connect provider, e.g. "
        "https://login.microsoftonline.com/<tenant id>/v2.0. Set: the chat needs a sign-in "
        "there (NARA_CHAT_SIGN_IN is then not used). Unset: the chat signs in as before.",
    )
    client_id: str | None = Field(
        default=None, description="The app's client id at the provider (Entra: Application id)."
    )
    client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret at the provider."
    )
    scopes: str = Field(
        default="openid profile email",
        description="Scopes asked for, separated by spaces; must hold 'openid'.",
    )
    group_claim: str = Field(
        default="groups",
        description="Claim of the ID token holding the user's groups or roles "
        "(Entra: 'groups' for group object ids, 'roles' for app roles).",
    )
    admin_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated values of the group claim whose members are "
        "administrators (may upload and remove documents in the chat).",
    )
    session_key: SecretStr | None = Field(
        default=None,
        description="Secret (at least 32 characters) that signs and encrypts the session "
        "cookie; needed with NARA_OIDC_ISSUER. Changing it signs everyone out.",
    )
    session_max_age_s: int = Field(
        default=8 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long a sign-in lasts, in seconds (default a working day, 8 h).",
    )
    redirect_url: str | None = Field(
        default=None,
        description="The sign-in callback URL as registered at the provider, e.g. "
        "https://nara.example.se/auth/callback. Unset: taken from the request.",
    )

    @field_validator("admin_groups", mode="before")
    @classmethod
    def _split_groups(cls, value: object) -> object:
        return split_list(value)

    @model_validator(mode="after")
    def _complete(self) -> OidcSettings:
        if not self.issuer:
            return self
        missing = [n for n in ("client_id", "client_secret") if not getattr(self, n)]
        if missing:
            raise ValueError(
                "NARA_OIDC_ISSUER is set but "
                + " and ".join("NARA_OIDC_" + n.upper() for n in missing)
                + " missing"
            )
        if is_placeholder(self.session_key, OIDC_SESSION_KEY_CHARS):
            raise ValueError(
                "NARA_OIDC_ISSUER is set but NARA_OIDC_SESSION_KEY is missing, a placeholder "
                f"or shorter than {OIDC_SESSION_KEY_CHARS} characters"
            )
        if "openid" not in self.scopes.split():
            raise ValueError("NARA_OIDC_SCOPES must hold 'openid'")
        return self

    @property
    def enabled(self) -> bool:
        """Configuring the issuer turns sign-in with OpenID Connect on."""
        return bool(self.issuer)
