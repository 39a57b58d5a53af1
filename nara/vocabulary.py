"""The declared general vocabulary (`nara/vocabulary.yaml`), loaded once on first use.

Every word list that rules or features use lives in that file, with its provenance, so
that no list in code can quietly grow entries fitted to one document.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

PATH = Path(__file__).with_name("vocabulary.yaml")


SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (the wheels are): it reads the file
about ten times faster than the pure-Python one, which cost a cold `nara ask` 0.2-0.4 s."""


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    data = yaml.load(PATH.read_text(encoding="utf-8"), Loader=SafeLoader)  # a safe loader
    if not isinstance(data, dict):  # pragma: no cover - a broken checkout
        raise ValueError(f"{PATH} is not a mapping")
    return data


def words(section: str, key: str | None = None) -> tuple[str, ...]:
    """One list of the file: `words("abbreviations")`, `words("months", "sv")`."""
    value = vocabulary()[section]
    if key is not None:
        value = value[key]
    return tuple(str(v) for v in value)


def section(*path: str) -> Any:
    """A nested part of the file: `section("question_cues", "kinds")`."""
    value: Any = vocabulary()
    for key in path:
        value = value[key]
    return value


@cache
def alternatives(*path: str) -> str:
    """A list of regular-expression alternatives as one group, `(?:a|b|c)`, for the code
    to anchor: `re.compile(rf"^\\s*{alternatives('question_cues', 'list_openers')}\\b")`."""
    entries = section(*path)
    if not isinstance(entries, list) or not entries:  # pragma: no cover - a broken file
        raise ValueError(f"{PATH}: {'.'.join(path)} is not a non-empty list")
    return "(?:" + "|".join(str(e) for e in entries) + ")"


@cache
def cue(*path: str, anchor: str = "{}") -> re.Pattern[str]:
    """`alternatives(*path)` set into `anchor` ("{}" → the alternatives) and compiled,
    case-insensitive: `cue("question_cues", "follow_up", "pronouns", anchor=r"\\b{}\\b")`."""
    return re.compile(anchor.format(alternatives(*path)), re.IGNORECASE)
