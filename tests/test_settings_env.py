"""Settings from the environment: a misspelt `NARA_` variable is an error that names it,
in Swedish; a development tool's own variable is not a setting and is let through. A
group's variable (`NARA_LLM_BASE_URL`) lands in its group (`settings.llm.base_url`),
from the environment and from `.env`."""

from __future__ import annotations

from pathlib import Path

import pytest

from nara.errors import ConfigError
from nara.settings import GROUPS, TOOL_VARIABLES, VARIABLES, Settings, load_settings


def test_a_misspelt_variable_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_EMBEDER", "e5-small-q4")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NARA_EMBEDER" in caught.value.message
    assert caught.value.message.startswith("Okänd inställning")
    assert "README" in caught.value.hint


def test_the_tools_own_variables_are_not_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TOOL_VARIABLES:
        monkeypatch.setenv(name, "/somewhere")
    assert load_settings().embedder  # loads; the variable is the tools' business


def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_SEARCH_K", "många")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NARA_SEARCH_K" in caught.value.message
    assert caught.value.message.startswith("Ogiltiga inställningar")


# -- groups: NARA_<GROUP>_<FIELD> is settings.<group>.<field> ---------------------------


def test_a_group_variable_lands_in_its_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("NARA_LLM_TIMEOUT_S", "7.5")
    monkeypatch.setenv("NARA_SERVE_JWKS_TIMEOUT_S", "2")  # a field name with underscores
    monkeypatch.setenv("NARA_SERVE_LINK_DOMAINS", "Example.com, .region.se")
    monkeypatch.setenv("NARA_OIDC_ADMIN_GROUPS", "a, b,")
    monkeypatch.setenv("NARA_TEAMS_GROUPS", '{"t": ["norr"]}')
    monkeypatch.setenv("NARA_DATA_DIR", "/tmp/nara-store")  # no group: top level
    monkeypatch.setenv("NARA_MAX_FILE_MB", "3")
    settings = load_settings()
    assert settings.llm.base_url == "http://127.0.0.1:11434/v1" and settings.llm.timeout_s == 7.5
    assert settings.llm.model is None  # the group's other fields keep their defaults
    assert settings.serve.jwks_timeout_s == 2 and settings.serve.link_domains == [
        "example.com",
        "region.se",
    ]
    assert settings.oidc.admin_groups == ["a", "b"]
    assert settings.teams.groups == {"t": ["norr"]}
    assert settings.data_dir == Path("/tmp/nara-store") and settings.max_file_mb == 3


def test_the_env_file_fills_groups_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "NARA_LLM_MODEL=från-filen\nNARA_AUDIT_RETENTION_DAYS=30\n"
        "NARA_INGEST_WORK_MAIL_DOMAINS=a.se,b.se\nNARA_DATA_DIR=/tmp/från-filen\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARA_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # the environment too
    settings = load_settings()
    assert settings.llm.model == "från-filen" and settings.llm.base_url == "http://127.0.0.1:9/v1"
    assert settings.audit.retention_days == 30
    assert settings.ingest.work_mail_domains == ["a.se", "b.se"]
    assert settings.data_dir == Path("/tmp/från-filen")


def test_a_misspelt_group_variable_is_named_in_the_env_file_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NARA_LLM_BASEURL", "http://x")
    with pytest.raises(ConfigError, match="Okänd inställning: NARA_LLM_BASEURL"):
        load_settings()
    monkeypatch.delenv("NARA_LLM_BASEURL")
    (tmp_path / ".env").write_text("NARA_LLM_BASEURL=http://x\nNARA_BOGUS=1\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "NARA_LLM_BASEURL: Extra inputs" in caught.value.message
    assert "NARA_BOGUS: Extra inputs" in caught.value.message


def test_a_whole_group_is_not_a_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_LLM", '{"base_url": "http://x"}')
    with pytest.raises(ConfigError, match="Okänd inställning: NARA_LLM\\."):
        load_settings()


def test_an_invalid_group_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_LLM_TIMEOUT_S", "länge")
    monkeypatch.setenv("NARA_TEAMS_GROUPS", '{"t": [1]}')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("Ogiltiga inställningar: NARA_LLM_TIMEOUT_S: ")
    assert "; NARA_TEAMS_GROUPS: " in caught.value.message


def test_a_group_check_names_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_TEAMS_APP_ID", "app")
    monkeypatch.setenv("NARA_OIDC_ISSUER", "https://login.example.se/t/v2.0")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message == (
        "Ogiltiga inställningar: NARA_TEAMS_APP_ID is set but NARA_TEAMS_TENANT_ID is missing; "
        "NARA_OIDC_ISSUER is set but NARA_OIDC_CLIENT_ID and NARA_OIDC_CLIENT_SECRET missing."
    )


def test_overrides_are_nested_and_meet_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARA_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    settings = load_settings(answerer="llm", llm={"model": "m"})
    assert (settings.llm.base_url, settings.llm.model) == ("http://127.0.0.1:9/v1", "m")
    with pytest.raises(ConfigError, match="NARA_LLM_API_KEY"):
        load_settings(answerer="llm", llm={"model": "m", "provider": "azure"})


def test_every_variable_is_a_field_and_back() -> None:
    assert VARIABLES["NARA_LLM_BASE_URL"] == ("llm", "base_url")
    assert VARIABLES["NARA_SERVE_JWKS_TIMEOUT_S"] == ("serve", "jwks_timeout_s")
    assert VARIABLES["NARA_DATA_DIR"] == ("data_dir",)
    assert "NARA_LLM" not in VARIABLES and "NARA_LLM_PROVIDER" in VARIABLES
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    for variable, path in VARIABLES.items():
        assert variable == "NARA_" + "_".join(path).upper()
        if len(path) == 2:
            assert path[1] in type(getattr(defaults, path[0])).model_fields
        else:  # a top-level name that began with a group's would be read into the group
            assert not path[0].startswith(tuple(f"{g}_" for g in GROUPS)), variable
