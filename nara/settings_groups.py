"""The groups of settings whose variables share a prefix: `NARA_LLM_*`, `NARA_TEAMS_*`,
`NARA_INGEST_*`, `NARA_AUDIT_*` here, the serving groups in `nara.settings_serving`.

A group is a plain model: `Settings` reads `NARA_<GROUP>_<FIELD>` into
`settings.<group>.<field>`, and `<Group>Settings()` alone gives the defaults without
reading the environment.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

PLACEHOLDERS = {"", "changeme", "change-me", "xxx", "todo", "secret", "your-key", "<key>", "..."}

PUBLIC_SECTOR_DOMAINS: tuple[str, ...] = (
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


def split_list(value: object) -> object:
    """A comma-separated variable as a list of its non-empty parts."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def split_domains(value: object) -> object:
    """Comma-separated domains, lower case and without a leading dot."""
    if isinstance(value, str):
        return [p.strip().lower().lstrip(".") for p in value.split(",") if p.strip()]
    return value


def is_placeholder(secret: SecretStr | None, least_chars: int = 0) -> bool:
    """Whether a set secret is a placeholder or shorter than `least_chars`."""
    value = secret.get_secret_value() if secret else ""
    return value.lower() in PLACEHOLDERS or len(value) < least_chars


class Group(BaseModel):
    """A group of settings: a misspelt field is an error, as a misspelt variable is."""

    model_config = ConfigDict(extra="forbid")


class LlmSettings(Group):
    """`NARA_LLM_*`: the LLM that writes answers with `NARA_ANSWERER=llm` (and the judge)."""

    provider: Literal["openai", "azure"] = Field(
        default="openai",
        description="'openai': any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp). "
        "'azure': Azure OpenAI.",
    )
    base_url: str | None = Field(
        default=None,
        description="Base URL of the LLM server, e.g. http://127.0.0.1:11434/v1 (Ollama); for "
        "Azure the resource endpoint.",
    )
    model: str | None = Field(
        default=None, description="Model name (for Azure: the deployment name)."
    )
    api_key: SecretStr | None = Field(
        default=None, description="Key for the LLM server. Local servers accept any value."
    )
    api_version: str = Field(
        default="2024-10-21", description="Azure OpenAI API version (provider 'azure' only)."
    )
    timeout_s: float = Field(default=60.0, gt=0, description="LLM request timeout, seconds.")


class TeamsSettings(Group):
    """`NARA_TEAMS_*`: the Teams bot's app registration and its users' groups."""

    app_id: str | None = Field(
        default=None,
        description="Entra app (client) id of the Teams bot. Unset: Teams is off "
        "unless NARA_TEAMS_ANONYMOUS is set.",
    )
    app_password: SecretStr | None = Field(
        default=None, description="Client secret of the bot's Entra app registration."
    )
    tenant_id: str | None = Field(
        default=None, description="Entra tenant id of the bot (single-tenant bots)."
    )
    anonymous: bool = Field(
        default=False,
        description="Accept unauthenticated Teams requests. Only for local development with "
        "the Agents Playground; never in production.",
    )
    groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="JSON object mapping Teams users to groups: keys '<tenant id>' (every "
        "user of that tenant) or '<tenant id>/<Entra object id>' (one user), values lists "
        "of groups. A Teams user without a mapping reads only what 'alla' may.",
    )

    @model_validator(mode="after")
    def _complete(self) -> TeamsSettings:
        if self.app_id and not self.tenant_id:
            raise ValueError("NARA_TEAMS_APP_ID is set but NARA_TEAMS_TENANT_ID is missing")
        if self.app_id and not self.app_password:
            raise ValueError("NARA_TEAMS_APP_ID is set but NARA_TEAMS_APP_PASSWORD is missing")
        if self.app_password and is_placeholder(self.app_password):
            raise ValueError("NARA_TEAMS_APP_PASSWORD is a placeholder")
        return self


class IngestSettings(Group):
    """`NARA_INGEST_*`: limits on what one file may cost (issue #16) and personal data
    (issue #14). The largest sample document has 199 blocks, 68 chunks and 422 spans in
    45 kB of text: the defaults allow 30–50 times that, and an unpacked DOCX far beyond
    its text."""

    max_sidecar_bytes: int = Field(
        default=16_000, ge=256, description="Largest `<file>.meta.yaml` sidecar, in bytes."
    )
    max_meta_chars: int = Field(
        default=200,
        ge=20,
        le=5000,
        description="Longest metadata field (title, region, an organisation …) and heading "
        "in a chunk header, in characters.",
    )
    max_unzipped_mb: float = Field(
        default=200.0, gt=0, description="Largest unpacked size of a DOCX (all its parts), MB."
    )
    max_xml_elements: int = Field(
        default=1_000_000, ge=1000, description="Most XML elements in a DOCX (all its parts)."
    )
    max_xml_depth: int = Field(
        default=100, ge=10, le=250, description="Deepest XML nesting in a DOCX."
    )
    max_paragraphs: int = Field(
        default=10_000,
        ge=10,
        description="Most paragraphs (blocks: headings, paragraphs, list items, table rows) "
        "in one document.",
    )
    max_chunks: int = Field(
        default=2_000, ge=10, description="Most chunks stored for one document."
    )
    max_spans: int = Field(
        default=20_000,
        ge=10,
        description="Most spans (sentences, items, rows) stored for one document.",
    )
    personal_data: Literal["refuse", "mask", "off"] = Field(
        default="refuse",
        description="A document holding a personnummer, samordningsnummer, or a private "
        "person's phone number or e-mail address: 'refuse' it, 'mask' the values before "
        "they are stored ([personnummer] …), or 'off' (not looked for).",
    )
    work_mail_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(PUBLIC_SECTOR_DOMAINS),
        description="Comma-separated domains whose e-mail addresses are officials' work "
        "addresses, not private persons' (a domain covers its subdomains). Default: the "
        "public-sector domains of NARA_SERVE_LINK_DOMAINS.",
    )

    @field_validator("work_mail_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        return split_domains(value)


class AuditSettings(Group):
    """`NARA_AUDIT_*`: the audit log (issue #14); see README, section Audit log."""

    key: SecretStr | None = Field(
        default=None,
        description="Key of the audit log's pseudonymous actor ids and of its chain (HMAC). "
        "Unset: a random key is made on first use in data_dir/audit/key.",
    )
    keep_questions: bool = Field(
        default=False,
        description="Keep the text of questions and searches in the audit log (it may hold "
        "personal data). Off: only the action, actor id, documents and status are kept.",
    )
    retention_days: int = Field(
        default=365,
        ge=1,
        le=3650,
        description="Audit entries older than this many days are purged (at most once an "
        "hour, by the process that writes). A year by default: set it to the region's "
        "information management plan (dokumenthanteringsplan).",
    )

    @model_validator(mode="after")
    def _real_key(self) -> AuditSettings:
        if self.key is not None and is_placeholder(self.key, 16):
            raise ValueError("NARA_AUDIT_KEY is a placeholder or shorter than 16 characters")
        return self
