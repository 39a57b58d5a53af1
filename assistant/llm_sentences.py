"""The model's streamed text, cut into sentences for the verifier (assistant.llm_verify):
reasoning blocks (<think>…</think>) dropped, a sentence handed on as soon as it is
complete, abbreviations ("t.ex.", "bl.a.") not taken for sentence ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from knowledge.sentences import abbreviations
from nara.vocabulary import words

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"

SENTENCE_END = re.compile(
    r"(?<=[.!?…])(?P<tail>(?:[ \t]*\[[^\[\]\n]{1,40}\])*[\"”»)]*)"
    r"(?P<sep>[ \t]*\n\s*|[ \t]+)(?=[^\s\[a-zåäöéü])"
    r"|(?P<nl>[ \t]*\n\s*)(?=\S)"
)


@cache
def abbreviation() -> re.Pattern[str]:
    """Text ending in an abbreviation of the vocabulary (Swedish, either kind: a sentence
    the model ends with "m.m." is merely checked together with the next) or in an
    ordinal ("3.")."""
    never, may_end, _ = abbreviations()
    names = {a.rstrip(".") for a in never | may_end | set(words("abbreviations_en"))}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?:^|[\s(])(?:{alternatives})\.$|^\s*\d{{1,2}}\.$", re.IGNORECASE)


def strip_thinking(tokens: Iterable[str]) -> Iterator[str]:
    """Tokens without <think>…</think> blocks (reasoning models on local servers)."""
    buffer, thinking = "", False
    for token in tokens:
        buffer += token
        while buffer:
            tag = THINK_CLOSE if thinking else THINK_OPEN
            at = buffer.find(tag)
            if at < 0:
                keep = _partial_suffix(buffer, tag)
                if not thinking and len(buffer) > keep:
                    yield buffer[: len(buffer) - keep]
                buffer = buffer[len(buffer) - keep :]
                break
            if not thinking and at:
                yield buffer[:at]
            buffer, thinking = buffer[at + len(tag) :], not thinking
    if buffer and not thinking:
        yield buffer


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that begins `tag`."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


@dataclass
class SentenceSplitter:
    """Cuts streamed text into (sentence, separator) pairs as soon as a sentence is
    complete: its end and the start of the next are in."""

    buffer: str = ""

    def feed(self, text: str) -> list[tuple[str, str]]:
        self.buffer += text
        out: list[tuple[str, str]] = []
        start = 0
        for match in SENTENCE_END.finditer(self.buffer):
            if match.group("nl") is None and abbreviation().search(
                self.buffer[start : match.start()]
            ):
                continue
            group = "nl" if match.group("nl") is not None else "sep"
            out.append((self.buffer[start : match.start(group)], match.group(group)))
            start = match.end()
        self.buffer = self.buffer[start:]
        return [(s.strip(), sep) for s, sep in out if s.strip()]

    def close(self) -> list[tuple[str, str]]:
        rest, self.buffer = self.buffer.strip(), ""
        return [(rest, "")] if rest else []
