"""The declared general vocabulary (`nara/vocabulary.yaml`), loaded once on first use.

Every word list that rules or features use lives in that file, with its provenance, so
that no list in code can quietly grow entries fitted to one document.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PATH = Path(__file__).with_name("vocabulary.yaml")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    data = yaml.safe_load(PATH.read_text(encoding="utf-8"))
    if not isinstance(data, dict):  # pragma: no cover - a broken checkout
        raise ValueError(f"{PATH} is not a mapping")
    return data


def words(section: str, key: str | None = None) -> tuple[str, ...]:
    """One list of the file: `words("abbreviations")`, `words("months", "sv")`."""
    value = vocabulary()[section]
    if key is not None:
        value = value[key]
    return tuple(str(v) for v in value)
