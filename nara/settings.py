"""One typed settings object. Every field is read from a `NARA_*` variable or `.env`.

`Settings()` fails fast: unknown `NARA_*` variables, malformed values and placeholder
secrets are errors at start-up, not surprises later.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nara.errors import ConfigError

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

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_keys")
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

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.data_dir / "keyword"


def _unknown_variables() -> list[str]:
    known = {f"NARA_{name.upper()}" for name in Settings.model_fields}
    return sorted(k for k in os.environ if k.startswith("NARA_") and k not in known)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with a `ConfigError` that names the bad variable."""
    unknown = _unknown_variables()
    if unknown:
        raise ConfigError(
            f"Unknown setting(s): {', '.join(unknown)}.",
            "Check the spelling against the list in README, section Settings.",
        )
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = "NARA_" + "_".join(str(p) for p in err["loc"]).upper()
            problems.append(f"{name}: {err['msg']}")
        raise ConfigError(
            "Invalid settings: " + "; ".join(problems) + ".",
            "Fix or unset these variables (see README, section Settings).",
        ) from None
