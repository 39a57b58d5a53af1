"""Who does what: the order of actor and role around a verb of responsibility.

The support score (`knowledge.support`) compares bags of words, so "A ansvarar för B"
scores as high against "B ansvarar för A" as against itself. `contradicts_roles` reads
both sides as claims of responsibility (an actor, and the role or object it is
responsible for) and finds the statement whose actor is the passages' role and whose
role is the passages' actor, when no passage claim has them the statement's way round.

A claim is read from a sentence with one of the verbs of `nara/vocabulary.yaml`
(`untrusted_text.responsibility_verbs`):

- active ("A ansvarar för B", "A leder B"): the actor before the verb, the role after;
  with the verb's object moved first ("För B ansvarar A"; a `fronting` preposition opens
  the sentence) the other way round; with the verb first ("Ansvarig för B är A") the
  actor after the copula; with the subject after the verb ("Enligt planen ansvarar A
  för B") the words between the verb and "för" join the actor;
- passive ("B leds av A"): the role before, the actor after;
- a table row's cells: the who-column is the actor, the what-column the role
  (`knowledge.columns.row_cell`).

Sides are compared as sets of stemmed content words; a side covers another when at
least `COVERED_SHARE` of its words are there. Only a statement with a claim is checked,
and only a swap found in the passages fails it: a claim the passages do not state either
way is left to the support score. One claim is read per sentence (its first verb), so a
sentence stating two ("A ansvarar för B och B för C") is read as its first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from knowledge.analysis import stem, words
from knowledge.columns import Cells, row_cell
from nara.vocabulary import alternatives, section

COVERED_SHARE = 0.5
"""Share of one side's words that must be in the other for it to count as the same
actor or role: half, so that "kommunen" meets "Dorotea kommun" and a role loses none of
its weight to a framing word."""
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
FOR = re.compile(r"\b(?:för|for)\b", re.IGNORECASE)
VERBS = ("untrusted_text", "responsibility_verbs")
"""The vocabulary section of the verbs, their fronting prepositions and the copula."""


@dataclass(frozen=True)
class Claim:
    """Who (`actor`) is responsible for what (`role`), as stemmed content words."""

    actor: frozenset[str]
    role: frozenset[str]


def terms(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words(text))


@cache
def _verbs() -> tuple[re.Pattern[str], re.Pattern[str]]:
    active = re.compile(rf"\b{alternatives(*VERBS, 'active')}\b", re.IGNORECASE)
    passive = re.compile(rf"\b{alternatives(*VERBS, 'passive')}\b", re.IGNORECASE)
    return active, passive


def _claim(actor: str, role: str) -> Claim | None:
    who, what = terms(actor), terms(role)
    return Claim(who, what) if who and what else None


def _active(before: str, verb: str, after: str) -> Claim | None:
    first = before.split()[0].lower() if before.split() else ""
    fronting = section(*VERBS, "fronting")
    if first in fronting:  # "För B ansvarar A"
        return _claim(after, before.split(None, 1)[1] if len(before.split()) > 1 else "")
    copula = re.search(rf"\b{alternatives(*VERBS, 'copula')}\b", after, re.IGNORECASE)
    if not terms(before) and copula:  # "Ansvarig för B är A"
        return _claim(after[copula.end() :], after[: copula.start()])
    joined = FOR.search(after)
    if not FOR.search(verb) and joined:  # "… ansvarar A för B": the subject after the verb
        return _claim(before + " " + after[: joined.start()], after[joined.end() :])
    return _claim(before, after)


def claim_of(sentence: str) -> Claim | None:
    """The claim of responsibility `sentence` makes, if any (its first verb)."""
    active, passive = _verbs()
    found = [m for m in (active.search(sentence), passive.search(sentence)) if m]
    if not found:
        return None
    match = min(found, key=lambda m: m.start())
    before, after = sentence[: match.start()], sentence[match.end() :]
    if match.re is passive:
        return _claim(after, before)
    return _active(before, match.group(), after)


def claims_in(text: str) -> list[Claim]:
    """The claims of every sentence of `text`."""
    return [c for s in SENTENCE.split(text) if (c := claim_of(s)) is not None]


def row_claim(cells: Cells) -> Claim | None:
    """The claim of a table row: its who-cell is responsible for its what-cell."""
    return _claim(row_cell(cells, "who"), row_cell(cells, "what")) if cells else None


def _covers(part: frozenset[str], whole: frozenset[str]) -> bool:
    return bool(part) and len(part & whole) >= COVERED_SHARE * len(part)


def contradicts_roles(statement: str, texts: Iterable[str], rows: Sequence[Cells] = ()) -> bool:
    """Whether `statement` claims A responsible for B where the passages (`texts`, and
    the table rows `rows`) claim B responsible for A, and none claims it A for B."""
    said = claim_of(statement)
    if said is None:
        return False
    claims = [c for t in texts for c in claims_in(t)]
    claims += [c for cells in rows if (c := row_claim(cells)) is not None]
    straight = any(_covers(said.actor, c.actor) and _covers(said.role, c.role) for c in claims)
    swapped = any(_covers(said.actor, c.role) and _covers(said.role, c.actor) for c in claims)
    return swapped and not straight
