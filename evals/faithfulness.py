"""Faithfulness and citation metrics of one answer, with no LLM.

A statement is a line of the answer (a sentence for prose) carrying [n] markers. It is
supported when the passages it cites support it (`knowledge.support.is_supported`,
calibrated on evals/calibration/support_pairs.yaml). Framing words the answerer adds
around a quote ("Enligt …:", "Ansvar för ”…”:", "tidsplan:") are not claims.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.model import Answer
from knowledge.support import is_supported

MARKER = re.compile(r"\[(\d+)\]")
FRAMING = re.compile(r"^\s*[-•]\s*|Ansvar för|Responsible for|tidsplan:|timeline:|[„“”«»()]", re.I)
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")


@dataclass(frozen=True)
class Statement:
    text: str
    cited: tuple[int, ...]


def statements(answer: Answer) -> list[Statement]:
    """The answer's claims: each line (or sentence) that carries a citation marker."""
    out = []
    for line in answer.answer.splitlines():
        parts = [line] if line.lstrip().startswith(("-", "•")) else SENTENCE.findall(line)
        for part in parts:
            cited = tuple(int(n) for n in MARKER.findall(part))
            text = FRAMING.sub(" ", MARKER.sub(" ", part))
            if cited and text.strip():
                out.append(Statement(" ".join(text.split()), cited))
    return out


@dataclass(frozen=True)
class Faithfulness:
    statements: int
    supported: int
    citation_pairs: int
    supporting_pairs: int


def faithfulness(answer: Answer) -> Faithfulness:
    quotes = {c.id: c.quote for c in answer.citations}
    claims = statements(answer)
    supported = pairs = supporting = 0
    for claim in claims:
        cited = [quotes[i] for i in claim.cited if i in quotes]
        supported += bool(cited) and is_supported(claim.text, cited)
        for quote in cited:
            pairs += 1
            supporting += is_supported(claim.text, [quote])
    return Faithfulness(len(claims), supported, pairs, supporting)
