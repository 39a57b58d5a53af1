"""The priority register: list items under a heading or lead-in that says they are
priorities ("Prioriterade områden <år>", "… fokusområden", "målgrupper …:").

- The cue words are declared in `nara/vocabulary.yaml` (`priority_cues`); a list under
  a heading without one (an action plan's strategies) is no priority list.
- An entry carries the period its heading or lead-in states ("2025 - 2026"), if any.
- An item written twice in a document (a summary and its chapter) is listed once
  (`unique`, the register as shown); answers read every occurrence.
- An item split over two lines ("… stöd, vård och" / "omsorg.") is one entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from functools import lru_cache

from ingest import Block, Document
from knowledge.registers import LIST_JOIN, PERIOD, SAME_ITEM, PriorityEntry
from nara.vocabulary import words

SHORT_LEAD = 60
"""A paragraph this short before a list introduces it ("*Tre mål har satts upp*")."""


@lru_cache(maxsize=1)
def _cue() -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words("priority_cues"))) + ")", re.I)


@lru_cache(maxsize=1)
def _group() -> re.Pattern[str]:
    groups = "|".join(re.escape(g) for g in sorted(words("target_groups"), key=len, reverse=True))
    after = "|".join(words("target_group_prepositions"))  # a name is no target group
    return re.compile(rf"\b(?:{after})\s+(?:\w+\s+)?({groups})\b", re.I)


def _period(texts: list[str]) -> tuple[str, int | None, int | None]:
    for text in reversed(texts):  # the nearest heading or lead-in first
        m = PERIOD.search(text)
        if m:
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            return m.group(0), first, last
    return "", None, None


def _target_group(text: str) -> str:
    m = _group().search(text)
    return m.group(1).lower() if m else ""


def priority_name(text: str) -> str:
    """The item's name: its text up to a dash or the end of its first sentence."""
    clean = re.sub(r"[*_]+", "", LIST_JOIN.sub(" ", text)).strip()
    head = re.split(r"\s[–-]\s|(?<=[a-zåäö)])\.\s", clean, maxsplit=1)[0]
    return head.strip().rstrip(".:")[:160]


def _is_lead_in(text: str) -> bool:
    """A paragraph that introduces the list after it: "… ska prioriteras:", or a short line."""
    return text.rstrip().endswith(":") or len(text.strip()) <= SHORT_LEAD


def _continues(text: str, nxt: Block | None, doc: Document) -> bool:
    """The item ends mid-phrase and the next item starts in lower case: one item."""
    if nxt is None or nxt.kind != "list_item":
        return False
    last = re.findall(r"[\wåäö]+|[,;]", text.rstrip())[-1:]
    head = doc.block_text(nxt)[:1]
    return (
        bool(last)
        and (last[0] in words("continuation_words") or last[0] in ",;")
        and (head.islower())
    )


def _items(doc: Document) -> Iterator[tuple[Block, int, int, str | None]]:
    """(block, start, end, lead) per list item, an item split over two lines joined;
    `lead` is None for a block that is not a list item."""
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        end = block.end
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if block.kind == "list_item" and _continues(doc.block_text(block), nxt, doc):
            end, i = blocks[i + 1].end, i + 1
        yield block, block.start, end, "" if block.kind == "list_item" else None
        i += 1


def priorities_of(doc: Document) -> list[PriorityEntry]:
    """List items under a priority heading or lead-in, each once. An item nested under
    another ("1. Area" with its bullets) is filed under a section named after its parent."""
    found: list[PriorityEntry] = []
    lead = parent = ""
    for block, start, end, is_item in _items(doc):
        text = doc.text[start:end]
        if is_item is None:
            lead = text if block.kind == "paragraph" and _is_lead_in(text) else ""
            parent = ""
            continue
        if block.level <= 1:
            parent = priority_name(text)
        section = (*block.section, parent) if block.level > 1 and parent else block.section
        context = [*section, lead]
        if any(_cue().search(c) for c in context):
            found.append(_entry(doc, block, start, end, section, _period(context)))
    return found


def unique(entries: list[PriorityEntry]) -> list[PriorityEntry]:
    """The register as listed: each item of a document once. Of an item written twice (a
    summary's list and its chapter), the one with items nested under it is kept (it
    carries the examples), else the one under a heading that names the priorities, else
    the first. (Answers read every occurrence: a question may name either section.)"""

    def rank(entry: PriorityEntry) -> tuple[bool, bool]:
        nested = f"{entry.section} > {entry.priority}"
        has_items = any(e.section == nested for e in entries)
        return has_items, any(_cue().search(part) for part in entry.section.split(" > "))

    kept: list[PriorityEntry] = []
    for entry in entries:
        twin = next((k for k, e in enumerate(kept) if _same(entry, e)), None)
        if twin is None:
            kept.append(entry)
        elif rank(entry) > rank(kept[twin]):
            kept[twin] = entry
    order = {id(e): i for i, e in enumerate(entries)}
    return sorted(kept, key=lambda e: order[id(e)])


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[\wåäö]+", text.lower()))


def _same(a: PriorityEntry, b: PriorityEntry) -> bool:
    """One item written twice: the same document, period and name, under the same parent
    if nested."""
    if a.document_id != b.document_id or a.period != b.period:
        return False
    if _normal(a.section.split(" > ")[-1]) != _normal(b.section.split(" > ")[-1]):
        nested = " > " in a.section and a.section != b.section
        if nested and a.section.count(" > ") == b.section.count(" > "):
            return False
    x, y = _normal(a.priority), _normal(b.priority)
    return x == y or SequenceMatcher(None, x, y).ratio() >= SAME_ITEM


def _entry(
    doc: Document,
    block: Block,
    start: int,
    end: int,
    section: tuple[str, ...],
    period: tuple[str, int | None, int | None],
) -> PriorityEntry:
    text = doc.text[start:end]
    return PriorityEntry(
        period=period[0],
        year_from=period[1],
        year_to=period[2],
        target_group=_target_group(text),
        priority=priority_name(text),
        document_id=doc.doc_id,
        section=" > ".join(section),
        page=block.page,
        quote=text,
        char_start=start,
        char_end=end,
    )
