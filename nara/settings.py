"""One typed settings object. Every field is read from a `NARA_*` variable or `.env`.

`Settings()` fails fast: unknown `NARA_*` variables, malformed values and placeholder
secrets are errors at start-up, not surprises later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nara.errors import ConfigError

OIDC_SESSION_KEY_CHARS = 32
"""Least length of NARA_OIDC_SESSION_KEY: 32 characters, e.g. `secrets.token_urlsafe(32)`."""
PLACEHOLDERS = {"", "changeme", "change-me", "xxx", "todo", "secret", "your-key", "<key>", "..."}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NARA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
    )

    data_dir: Path = Field(
        default=Path(".nara"),
        description="Folder holding the store (Chroma data and the keyword index).",
    )
    chroma_url: str | None = Field(
        default=None,
        description="URL of a Chroma server, e.g. http://127.0.0.1:8000. Unset: embedded Chroma "
        "in data_dir.",
    )
    collection: str = Field(
        default="nara",
        description="Prefix of the Chroma collections, so that several stores share one server.",
    )
    embedder: str = Field(
        default="e5-small-q4",
        description="Embedding model: 'e5-small-q4' (bundled multilingual-e5-small), "
        "'sentence-transformers:<name or path>', or 'hash' (deterministic, for tests).",
    )
    chunk_max_chars: int = Field(
        default=1000, ge=200, le=4000, description="Longest chunk text, in characters."
    )
    max_file_mb: float = Field(
        default=50.0, gt=0, description="Files larger than this are refused at ingest."
    )
    search_k: int = Field(default=5, ge=1, le=100, description="Default number of results.")
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated keys for the REST API (Authorization: Bearer <key>).",
    )

    admin_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated admin keys: upload and delete documents (API and chat).",
    )
    max_question_chars: int = Field(
        default=1000, ge=10, le=20000, description="Longest question accepted, in characters."
    )
    answerer: Literal["extractive", "llm"] = Field(
        default="extractive",
        description="'extractive': answers composed from verified quotes, no LLM. 'llm': an LLM "
        "writes the answer (needs the NARA_LLM_* settings); its output is verified.",
    )
    llm_provider: Literal["openai", "azure"] = Field(
        default="openai",
        description="'openai': any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp). "
        "'azure': Azure OpenAI.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the LLM server, e.g. http://127.0.0.1:11434/v1 (Ollama); for "
        "Azure the resource endpoint.",
    )
    llm_model: str | None = Field(
        default=None, description="Model name (for Azure: the deployment name)."
    )
    llm_api_key: SecretStr | None = Field(
        default=None, description="Key for the LLM server. Local servers accept any value."
    )
    llm_api_version: str = Field(
        default="2024-10-21", description="Azure OpenAI API version (provider 'azure' only)."
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="LLM request timeout, seconds.")
    teams_app_id: str | None = Field(
        default=None,
        description="Entra app (client) id of the Teams bot. Unset: Teams is off "
        "unless teams_anonymous is set.",
    )
    teams_app_password: SecretStr | None = Field(
        default=None, description="Client secret of the bot's Entra app registration."
    )
    teams_tenant_id: str | None = Field(
        default=None, description="Entra tenant id of the bot (single-tenant bots)."
    )
    teams_anonymous: bool = Field(
        default=False,
        description="Accept unauthenticated Teams requests. Only for local development with "
        "the Agents Playground; never in production.",
    )
    feedback_path: Path | None = Field(
        default=None, description="JSONL file for thumbs up/down. Unset: data_dir/feedback.jsonl."
    )
    # -- ingest limits (issue #16): a hostile file is refused before it costs much. The
    # largest sample document has 199 blocks, 68 chunks and 422 spans in 45 kB of text: the
    # defaults allow 30–50 times that, and an unpacked DOCX far beyond its text. --------
    ingest_max_sidecar_bytes: int = Field(
        default=16_000, ge=256, description="Largest `<file>.meta.yaml` sidecar, in bytes."
    )
    ingest_max_meta_chars: int = Field(
        default=200,
        ge=20,
        le=5000,
        description="Longest metadata field (title, region, an organisation …) and heading "
        "in a chunk header, in characters.",
    )
    ingest_max_unzipped_mb: float = Field(
        default=200.0, gt=0, description="Largest unpacked size of a DOCX (all its parts), MB."
    )
    ingest_max_xml_elements: int = Field(
        default=1_000_000, ge=1000, description="Most XML elements in a DOCX (all its parts)."
    )
    ingest_max_xml_depth: int = Field(
        default=100, ge=10, le=250, description="Deepest XML nesting in a DOCX."
    )
    ingest_max_paragraphs: int = Field(
        default=10_000,
        ge=10,
        description="Most paragraphs (blocks: headings, paragraphs, list items, table rows) "
        "in one document.",
    )
    ingest_max_chunks: int = Field(
        default=2_000, ge=10, description="Most chunks stored for one document."
    )
    ingest_max_spans: int = Field(
        default=20_000,
        ge=10,
        description="Most spans (sentences, items, rows) stored for one document.",
    )

    # -- serving limits (chat queue and uploads, Teams key fetching); see README, Settings
    chat_queue_size: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Most chat events waiting at once; more are refused with 'queue full'. "
        "32 jobs of about 0.2 s each keep the last one waiting a few seconds.",
    )
    chat_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Chat events run at the same time (Gradio's default_concurrency_limit).",
    )
    chat_upload_max_age_s: int = Field(
        default=3600,
        ge=60,
        description="Files uploaded to the chat and not read in are deleted after this many "
        "seconds (checked as often); read-in files are deleted at once.",
    )
    serve_jwks_timeout_s: float = Field(
        default=3.0,
        gt=0,
        le=30,
        description="Timeout of one fetch of the Teams token signing keys (JWKS), seconds.",
    )
    serve_jwks_refetch_s: float = Field(
        default=60.0,
        ge=0,
        description="Least time between two fetches of one issuer's signing keys, seconds: a "
        "token with an unknown key id in between is refused without a fetch.",
    )
    # -- untrusted document text, rate limits, chat sign-in (issue #16: item 6, and "What to
    # build"); see README, sections Settings and Security ---------------------------------
    PUBLIC_SECTOR_DOMAINS: ClassVar[tuple[str, ...]] = (
        # Provenance: the national bodies of Swedish health care and government
        # (Regeringskansliet, Riksdagen, Socialstyrelsen, Folkhälsomyndigheten, IVO,
        # E-hälsomyndigheten, Läkemedelsverket, SBU, SCB, Försäkringskassan), SKR and its
        # Inera (1177.se), and the 21 regions' own web domains (SKR's member list).
        "regeringen.se",
        "government.se",
        "riksdagen.se",
        "socialstyrelsen.se",
        "folkhalsomyndigheten.se",
        "ivo.se",
        "ehalsomyndigheten.se",
        "lakemedelsverket.se",
        "sbu.se",
        "scb.se",
        "forsakringskassan.se",
        "skr.se",
        "inera.se",
        "1177.se",
        "kunskapsstyrningvard.se",
        "regionstockholm.se",
        "regionuppsala.se",
        "regionsormland.se",
        "regionostergotland.se",
        "rjl.se",
        "regionkronoberg.se",
        "regionkalmar.se",
        "gotland.se",
        "regionblekinge.se",
        "skane.se",
        "regionhalland.se",
        "vgregion.se",
        "regionvarmland.se",
        "regionorebrolan.se",
        "regionvastmanland.se",
        "regiondalarna.se",
        "regiongavleborg.se",
        "rvn.se",
        "regionjh.se",
        "regionvasterbotten.se",
        "norrbotten.se",
    )
    serve_link_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(Settings.PUBLIC_SECTOR_DOMAINS),
        description="Comma-separated domains whose links in a document are not flagged at "
        "ingest (a domain covers its subdomains). Default: Swedish national health and "
        "government bodies, SKR, 1177.se and the 21 regions' own domains.",
    )
    serve_api_rate_per_s: float = Field(
        default=10.0,
        gt=0,
        description="Requests per second one API key may make on /v1 over time (its bucket "
        "refills at this rate); more get 429 with Retry-After.",
    )
    serve_api_burst: int = Field(
        default=60, ge=1, description="Requests one API key may make at once (bucket size)."
    )
    serve_teams_rate_per_s: float = Field(
        default=0.5,
        gt=0,
        description="Teams messages per second one user in one conversation may send over "
        "time; more are answered with a Swedish 'wait' message, not by the assistant.",
    )
    serve_teams_burst: int = Field(
        default=10, ge=1, description="Teams messages one user may send at once."
    )
    chat_rate_per_s: float = Field(
        default=0.5,
        gt=0,
        description="Questions, feedback, uploads and removals per second one chat user "
        "(signed in: the user name; open: the client address) may send over time.",
    )
    chat_burst: int = Field(default=10, ge=1, description="Chat actions one user may send at once.")
    chat_sign_in: Literal["required", "open"] = Field(
        default="required",
        description="'required': the chat asks for a sign-in whose password is a key of "
        "NARA_API_KEYS or NARA_ADMIN_KEYS; with no key configured the chat is off. 'open': "
        "anyone who reaches the server may use the chat (see README, Security).",
    )

    @field_validator("serve_link_domains", "ingest_work_mail_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip().lower().lstrip(".") for p in value.split(",") if p.strip()]
        return value

    # -- store and shutdown (issue #16): a second process, a busy store, SIGTERM ---------
    serve_write_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="How long an upload or removal in the server waits for another write "
        "(an ingest, another upload) before it is refused with 503 'upptagen'. "
        "`nara ingest` waits as long as it takes.",
    )
    serve_shutdown_s: float = Field(
        default=5.0,
        ge=1,
        le=600,
        description="On SIGTERM the server cancels running ingests, gives requests this "
        "long to finish, and then ends (nothing stored is lost: each document write is "
        "atomic).",
    )

    # -- personal data in documents (issue #14); see README, section Personal data ------
    ingest_personal_data: Literal["refuse", "mask", "off"] = Field(
        default="refuse",
        description="A document holding a personnummer, samordningsnummer, or a private "
        "person's phone number or e-mail address: 'refuse' it, 'mask' the values before "
        "they are stored ([personnummer] …), or 'off' (not looked for).",
    )
    ingest_work_mail_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(Settings.PUBLIC_SECTOR_DOMAINS),
        description="Comma-separated domains whose e-mail addresses are officials' work "
        "addresses, not private persons' (a domain covers its subdomains). Default: the "
        "public-sector domains of NARA_SERVE_LINK_DOMAINS.",
    )

    # -- audit log (issue #14); see README, section Audit log ----------------------------
    audit_key: SecretStr | None = Field(
        default=None,
        description="Key of the audit log's pseudonymous actor ids and of its chain (HMAC). "
        "Unset: a random key is made on first use in data_dir/audit/key.",
    )
    audit_keep_questions: bool = Field(
        default=False,
        description="Keep the text of questions and searches in the audit log (it may hold "
        "personal data). Off: only the action, actor id, documents and status are kept.",
    )
    audit_retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Audit entries older than this many days are purged (at most once an "
        "hour, by the process that writes). A year by default: set it to the region's "
        "information management plan (dokumenthanteringsplan).",
    )

    # -- sign-in with OpenID Connect (issue #14); see README, section Sign-in -----------
    oidc_issuer: str | None = Field(
        default=None,
        description="Issuer URL of the OpenID Connect provider, e.g. "
        "https://login.microsoftonline.com/<tenant id>/v2.0. Set: the chat needs a sign-in "
        "there (NARA_CHAT_SIGN_IN is then not used). Unset: the chat signs in as before.",
    )
    oidc_client_id: str | None = Field(
        default=None, description="The app's client id at the provider (Entra: Application id)."
    )
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The app's client secret at the provider."
    )
    oidc_scopes: str = Field(
        default="openid profile email",
        description="Scopes asked for, separated by spaces; must hold 'openid'.",
    )
    oidc_group_claim: str = Field(
        default="groups",
        description="Claim of the ID token holding the user's groups or roles "
        "(Entra: 'groups' for group object ids, 'roles' for app roles).",
    )
    oidc_admin_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated values of the group claim whose members are "
        "administrators (may upload and remove documents in the chat).",
    )
    oidc_session_key: SecretStr | None = Field(
        default=None,
        description="Secret (at least 32 characters) that signs and encrypts the session "
        "cookie; needed with NARA_OIDC_ISSUER. Changing it signs everyone out.",
    )
    oidc_session_max_age_s: int = Field(
        default=8 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long a sign-in lasts, in seconds (default a working day, 8 h).",
    )
    oidc_redirect_url: str | None = Field(
        default=None,
        description="The sign-in callback URL as registered at the provider, e.g. "
        "https://nara.example.se/auth/callback. Unset: taken from the request.",
    )

    # -- access per document (issue #14); see README, section Groups and access ---------
    access_default: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["alla"],
        description="Comma-separated groups that may read a document whose sidecar has no "
        "`access:` and whose upload named no groups. 'alla': every signed-in user.",
    )
    teams_groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="JSON object mapping Teams users to groups: keys '<tenant id>' (every "
        "user of that tenant) or '<tenant id>/<Entra object id>' (one user), values lists "
        "of groups. A Teams user without a mapping reads only what 'alla' may.",
    )
    cli_key: SecretStr | None = Field(
        default=None,
        description="A key (of NARA_API_KEYS, NARA_ADMIN_KEYS or `nara keys create`) the "
        "command line reads with: its groups decide which documents `nara ask`, `search`, "
        "`documents`, `registers` and `chat` see. Unset: every document (the command line "
        "runs where the store is).",
    )

    @field_validator("access_default", mode="before")
    @classmethod
    def _split_groups(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("access_default")
    @classmethod
    def _some_group(cls, groups: list[str]) -> list[str]:
        if not groups:
            raise ValueError("name at least one group, e.g. alla")
        return groups

    @field_validator("api_keys", "admin_keys", "oidc_admin_groups", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys", "admin_keys")
    @classmethod
    def _no_placeholder_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if key.lower() in PLACEHOLDERS or len(key) < 16:
                raise ValueError(
                    "an API key is a placeholder or shorter than 16 characters; "
                    "generate one with: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return keys

    @model_validator(mode="after")
    def _llm_complete(self) -> Settings:
        if self.answerer == "llm":
            missing = [n for n in ("llm_base_url", "llm_model") if not getattr(self, n)]
            if missing:
                raise ValueError(
                    "answerer 'llm' needs " + " and ".join("NARA_" + n.upper() for n in missing)
                )
            key = self.llm_api_key.get_secret_value() if self.llm_api_key else ""
            if self.llm_provider == "azure" and key.lower() in PLACEHOLDERS:
                raise ValueError("provider 'azure' needs a real NARA_LLM_API_KEY")
        if self.teams_app_id and not self.teams_tenant_id:
            raise ValueError("NARA_TEAMS_APP_ID is set but NARA_TEAMS_TENANT_ID is missing")
        if self.teams_app_id and not self.teams_app_password:
            raise ValueError("NARA_TEAMS_APP_ID is set but NARA_TEAMS_APP_PASSWORD is missing")
        if self.audit_key is not None and (
            len(self.audit_key.get_secret_value()) < 16
            or self.audit_key.get_secret_value().lower() in PLACEHOLDERS
        ):
            raise ValueError("NARA_AUDIT_KEY is a placeholder or shorter than 16 characters")
        if self.teams_app_password and (
            self.teams_app_password.get_secret_value().lower() in PLACEHOLDERS
        ):
            raise ValueError("NARA_TEAMS_APP_PASSWORD is a placeholder")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        if not self.oidc_issuer:
            return self
        missing = [n for n in ("oidc_client_id", "oidc_client_secret") if not getattr(self, n)]
        if missing:
            raise ValueError(
                "NARA_OIDC_ISSUER is set but "
                + " and ".join("NARA_" + n.upper() for n in missing)
                + " missing"
            )
        key = self.oidc_session_key.get_secret_value() if self.oidc_session_key else ""
        if len(key) < OIDC_SESSION_KEY_CHARS or key.lower() in PLACEHOLDERS:
            raise ValueError(
                "NARA_OIDC_ISSUER is set but NARA_OIDC_SESSION_KEY is missing, a placeholder "
                f"or shorter than {OIDC_SESSION_KEY_CHARS} characters"
            )
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("NARA_OIDC_SCOPES must hold 'openid'")
        return self

    @property
    def oidc_enabled(self) -> bool:
        """Configuring the issuer turns sign-in with OpenID Connect on."""
        return bool(self.oidc_issuer)

    @property
    def feedback_file(self) -> Path:
        return self.feedback_path or self.data_dir / "feedback.jsonl"

    @property
    def audit_dir(self) -> Path:
        return self.data_dir / "audit"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"


TOOL_VARIABLES = frozenset({"NARA_EXTRA_CORPUS"})
"""`NARA_` variables that are not settings of the assistant but read by the development
tools (`evals/`, tests): where corpus-extra lies when it is not beside the clone."""


def _unknown_variables() -> list[str]:
    known = {f"NARA_{name.upper()}" for name in Settings.model_fields} | TOOL_VARIABLES
    return sorted(k for k in os.environ if k.startswith("NARA_") and k not in known)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with a `ConfigError` that names the bad variable."""
    unknown = _unknown_variables()
    if unknown:
        raise ConfigError(
            f"Okänd inställning: {', '.join(unknown)}.",
            "Kontrollera stavningen mot listan i README, avsnittet Settings, eller ta bort "
            "variabeln.",
        )
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["loc"]:
                msg = "NARA_" + "_".join(str(p) for p in err["loc"]).upper() + ": " + msg
            problems.append(msg)
        raise ConfigError(
            "Ogiltiga inställningar: " + "; ".join(problems) + ".",
            "Rätta eller ta bort variablerna (se README, avsnittet Settings).",
        ) from None
