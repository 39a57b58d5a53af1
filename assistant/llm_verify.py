"""The verifier of the LLM answerer (assistant.llm): a sentence of the model passes only
when it cites at least one passage that exists (markers naming no passage are removed),
the passages it cites support it (`knowledge.support.is_supported`), and it does not swap
who does what (`assistant.roles.contradicts_roles`). Surviving markers are renumbered to
citations 1..m in order of first use; a citation's quote is the evidence span of the
cited passage that best supports the sentence.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from assistant.llm_prompt import Passage
from assistant.model import Citation
from assistant.roles import contradicts_roles
from knowledge.support import is_supported, support_score
from knowledge.support_terms import statement_terms

log = logging.getLogger(__name__)

DONT_KNOW = re.compile(
    r"^\W*(?:det\s+framgår\s+inte|dokumenten\s+(?:anger|säger|nämner|beskriver)\s+inte|"
    r"the\s+documents\s+do\s+not|the\s+passages\s+do\s+not)",
    re.IGNORECASE,
)
MARKER = re.compile(r"[ \t]*\[\s*(\d+(?:\s*[,;–-]\s*\d+)*)\s*\]")


class Verdict(StrEnum):
    KEPT = "kept"
    UNCITED = "uncited"  # no marker names a passage
    UNSUPPORTED = "unsupported"  # the cited passages do not support it
    DONT_KNOW = "dont_know"  # the model says the documents do not answer
    EMPTY = "empty"  # uncited, and a lead-in ("Följande gäller:") or without content words


def marker_ids(group: str) -> list[int]:
    """The passage numbers in a marker's inside: "1", "1, 3", "2–4"."""
    ids: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group.strip()):
        bounds = [int(n) for n in re.split(r"\s*[–-]\s*", part) if n]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
            ids.extend(range(bounds[0], bounds[1] + 1))
        else:
            ids.extend(bounds)
    return ids


def without_markers(sentence: str) -> str:
    return " ".join(MARKER.sub(" ", sentence).split())


@dataclass
class Verifier:
    """Checks sentences one by one and keeps the citations of those that pass."""

    passages: Sequence[Passage]
    cited: dict[tuple[str, int, int], int] = field(default_factory=dict)
    citations: list[Citation] = field(default_factory=list)
    counts: dict[Verdict, int] = field(default_factory=dict)
    invalid_markers: int = 0

    def passage(self, number: int) -> Passage | None:
        return self.passages[number - 1] if 1 <= number <= len(self.passages) else None

    def check(self, sentence: str) -> tuple[Verdict, str]:
        """The verdict and, when kept, the sentence with markers renumbered."""
        statement = without_markers(sentence)
        numbers = [n for m in MARKER.finditer(sentence) for n in marker_ids(m.group(1))]
        valid = list(dict.fromkeys(n for n in numbers if self.passage(n) is not None))
        self.invalid_markers += len([n for n in numbers if self.passage(n) is None])
        verdict = self._verdict(statement, valid)
        self.counts[verdict] = self.counts.get(verdict, 0) + 1
        if verdict is not Verdict.KEPT:
            log.debug("dropped sentence (%s): %s", verdict.value, sentence)
            return verdict, ""
        ids = {n: self._cite(n, statement) for n in valid}
        return verdict, self._renumber(sentence, ids)

    def _verdict(self, statement: str, valid: Sequence[int]) -> Verdict:
        if DONT_KNOW.match(statement):
            return Verdict.DONT_KNOW
        if not valid:
            lead_in = statement.endswith(":") or not statement_terms(statement)
            return Verdict.EMPTY if lead_in else Verdict.UNCITED
        cited = [p for n in valid if (p := self.passage(n)) is not None]
        if not is_supported(statement, [p.support_text for p in cited]):
            return Verdict.UNSUPPORTED
        rows = [p.result.chunk.cells for p in cited if p.result.chunk.cells]
        if contradicts_roles(statement, [p.text for p in cited], rows):
            log.debug("roles swapped against the passages: %s", statement)
            return Verdict.UNSUPPORTED
        return Verdict.KEPT

    def _cite(self, number: int, statement: str) -> int:
        """The citation id for passage `number`'s span that best supports `statement`."""
        passage = self.passages[number - 1]
        span = max(passage.spans, key=lambda s: support_score(statement, [s.text]))
        key = (span.doc_id, span.char_start, span.char_end)
        if key not in self.cited:
            self.cited[key] = len(self.citations) + 1
            self.citations.append(span.citation(self.cited[key]))
        return self.cited[key]

    def _renumber(self, sentence: str, ids: dict[int, int]) -> str:
        def replace(match: re.Match[str]) -> str:
            new = dict.fromkeys(ids[n] for n in marker_ids(match.group(1)) if n in ids)
            return (" " + "".join(f"[{c}]" for c in new)) if new else ""

        text = MARKER.sub(replace, sentence).strip()
        return re.sub(r"[ \t]+(?=[.,;:!?])", "", text)

    @property
    def kept(self) -> int:
        return self.counts.get(Verdict.KEPT, 0)

    @property
    def removed(self) -> int:
        return self.counts.get(Verdict.UNCITED, 0) + self.counts.get(Verdict.UNSUPPORTED, 0)


def separator(pending: Sequence[str]) -> str:
    """What goes between two kept sentences: a paragraph, a line break or a space."""
    newlines = max((s.count("\n") for s in pending), default=0)
    return "\n" * min(newlines, 2) if newlines else " "
