"""Which cell of a table row says who, what and when: one function for every module.

Column names come from `nara/vocabulary.yaml` (`register_columns`), matched by the words
of a column's name, so "Ansvar/Resurser" is a who-column and "Tidigare" is no
when-column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal

from nara.vocabulary import vocabulary

Role = Literal["who", "what", "when", "description"]
Cells = Sequence[tuple[str, str]]


@lru_cache(maxsize=1)
def _roles() -> dict[str, frozenset[str]]:
    return {k: frozenset(v) for k, v in vocabulary()["register_columns"].items()}


def _column_words(column: str) -> set[str]:
    return set(re.findall(r"[a-zåäöé]+", column.lower()))


def _index(cells: Cells, role: str) -> int | None:
    words = _roles()[role]
    return next((i for i, (c, _) in enumerate(cells) if _column_words(c) & words), None)


def cell_index(cells: Cells, role: Role) -> int | None:
    """Position of the cell that says `role`, or None. Who: an actor column ("Aktör",
    "Ansvarig"), else an "Ansvar"/"Resurser" column; what: an "Aktivitet"/"Åtgärd"
    column, else the "Ansvar" column of a table that has an actor column."""
    actor = _index(cells, "actor")
    if role == "who":
        return actor if actor is not None else _index(cells, "who")
    if role == "what":
        what = _index(cells, "what")
        return what if what is not None or actor is None else _index(cells, "who")
    return _index(cells, role)


def row_cell(cells: Cells, role: Role) -> str:
    """The text of the row's cell that says `role` ("" when the table has none, or the
    cell is empty or a dash)."""
    i = cell_index(cells, role)
    value = cells[i][1].strip() if i is not None else ""
    return "" if re.fullmatch(r"[-–—]*", value) else value
