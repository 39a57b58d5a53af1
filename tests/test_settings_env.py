"""Settings from the environment: a misspelt `NARA_` variable is an error that names it,
in Swedish; a development tool's own variable is not a setting and is let through."""

from __future__ import annotations

import pytest

from nara.errors import ConfigError
from nara.settings import TOOL_VARIABLES, load_settings


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
