"""The README stays current: every setting is documented, every command is listed."""

from __future__ import annotations

from nara.settings import VARIABLES
from tests.conftest import ROOT
from ui.cli.commands import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [name for name in VARIABLES if f"`{name}`" not in README]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = list(sub.choices)  # type: ignore[arg-type]
    assert "ask" in commands and "serve" in commands
    assert [c for c in commands if f"`nara {c}" not in README] == []
