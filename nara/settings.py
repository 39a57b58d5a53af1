"""One typed settings object. Every field is read from a `NARA_*` variable or `.env`.

Settings come in groups (`nara.settings_groups`, `nara.settings_serving`): a variable
`NARA_<GROUP>_<FIELD>` is `settings.<group>.<field>` (`NARA_LLM_BASE_URL` is
`settings.llm.base_url`); the variables without a group prefix (`NARA_DATA_DIR`) are
fields of `Settings` itself. `Settings()` fails fast: unknown `NARA_*` variables,
malformed values and placeholder secrets are errors at start-up, not surprises later.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nara.errors import ConfigError
from nara.settings_groups import (
    PLACEHOLDERS,
    AuditSettings,
    IngestSettings,
    LlmSettings,
    TeamsSettings,
    is_placeholder,
    split_list,
)
from nara.settings_serving import ChatSettings, OidcSettings, ServeSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NARA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
        # NARA_LLM_BASE_URL: the group `llm`, then the rest (`base_url`) unsplit.
        env_nested_delimiter="_",
        env_nested_max_split=1,
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
    feedback_path: Path | None = Field(
        default=None, description="JSONL file for thumbs up/down. Unset: data_dir/feedback.jsonl."
    )
    # -- access per document (issue #14); see README, section Groups and access ---------
    access_default: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["alla"],
        description="Comma-separated groups that may read a document whose sidecar has no "
        "`access:` and whose upload named no groups. 'alla': every signed-in user.",
    )
    cli_key: SecretStr | None = Field(
        default=None,
        description="A key (of NARA_API_KEYS, NARA_ADMIN_KEYS or `nara keys create`) the "
        "command line reads with: its groups decide which documents `nara ask`, `search`, "
        "`documents`, `registers` and `chat` see. Unset: every document (the command line "
        "runs where the store is).",
    )

    # -- the groups: NARA_<GROUP>_<FIELD> is settings.<group>.<field> ------------------
    llm: LlmSettings = Field(default_factory=LlmSettings)
    teams: TeamsSettings = Field(default_factory=TeamsSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)

    @field_validator("access_default", "api_keys", "admin_keys", mode="before")
    @classmethod
    def _split_groups(cls, value: object) -> object:
        return split_list(value)

    @field_validator("access_default")
    @classmethod
    def _some_group(cls, groups: list[str]) -> list[str]:
        if not groups:
            raise ValueError("name at least one group, e.g. alla")
        return groups

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
        if self.answerer != "llm":
            return self
        missing = [n for n in ("base_url", "model") if not getattr(self.llm, n)]
        if missing:
            raise ValueError(
                "answerer 'llm' needs " + " and ".join("NARA_LLM_" + n.upper() for n in missing)
            )
        if self.llm.provider == "azure" and is_placeholder(self.llm.api_key):
            raise ValueError("provider 'azure' needs a real NARA_LLM_API_KEY")
        return self

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


GROUPS: tuple[str, ...] = tuple(
    name
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
)
"""The fields of `Settings` that are groups (`llm`, `teams` …)."""


def _variables() -> Iterator[tuple[str, tuple[str, ...]]]:
    for name in Settings.model_fields:
        if name in GROUPS:
            group = getattr(Settings.model_fields[name].annotation, "model_fields", {})
            yield from ((f"NARA_{name}_{f}".upper(), (name, f)) for f in group)
        else:
            yield f"NARA_{name}".upper(), (name,)


VARIABLES: dict[str, tuple[str, ...]] = dict(_variables())
"""Every setting's variable and where it lands: `NARA_LLM_BASE_URL` → `("llm", "base_url")`,
`NARA_DATA_DIR` → `("data_dir",)`. A whole group (`NARA_LLM` as JSON) is not a variable."""


def _unknown_variables() -> list[str]:
    known = VARIABLES.keys() | TOOL_VARIABLES
    return sorted(k for k in os.environ if k.startswith("NARA_") and k not in known)


def _variable_of(loc: tuple[int | str, ...], kind: str) -> str | None:
    """The variable an error's location names: the longest head of it that is one (an
    error in a group's list, `("teams", "groups", "t", 0)`, is NARA_TEAMS_GROUPS's); an
    unknown variable of `.env` (`("llm", "baseurl")`, `("nara_bogus",)`) is named as is."""
    if kind == "extra_forbidden":
        return "NARA_" + "_".join(str(p) for p in loc).upper().removeprefix("NARA_")
    for end in range(len(loc), 0, -1):
        name = "NARA_" + "_".join(str(p) for p in loc[:end]).upper()
        if name in VARIABLES:
            return name
    return None


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with a `ConfigError` that names the bad variable.
    `overrides` are fields, a group's as a dict: `load_settings(llm={"model": "m"})` (the
    group's other fields still come from the environment)."""
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
            variable = _variable_of(err["loc"], err["type"])
            if variable:
                msg = f"{variable}: {msg}"
            problems.append(msg)
        raise ConfigError(
            "Ogiltiga inställningar: " + "; ".join(problems) + ".",
            "Rätta eller ta bort variablerna (se README, avsnittet Settings).",
        ) from None
