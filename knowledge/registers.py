"""Structured registers extracted at ingest time: who is responsible, what is prioritised.

Every entry points back to a verbatim quote (`quote == text[char_start:char_end]`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from ingest import Block, Document


@dataclass(frozen=True)
class ResponsibilityEntry:
    activity: str
    responsible: tuple[str, ...]
    timeline: str
    description: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class PriorityEntry:
    period: str
    year_from: int | None
    year_to: int | None
    target_group: str
    priority: str
    document_id: str
    section: str
    page: int | None
    quote: str
    char_start: int
    char_end: int

    def covers(self, year: int) -> bool:
        if self.year_from is None:
            return False
        return self.year_from <= year <= (self.year_to or self.year_from)


@dataclass(frozen=True)
class Registers:
    responsibilities: tuple[ResponsibilityEntry, ...] = ()
    priorities: tuple[PriorityEntry, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": REGISTERS_VERSION,
                "responsibilities": [asdict(e) for e in self.responsibilities],
                "priorities": [asdict(e) for e in self.priorities],
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Registers:
        data = json.loads(text or "{}")
        return cls(
            tuple(
                ResponsibilityEntry(**{**e, "responsible": tuple(e["responsible"])})
                for e in data.get("responsibilities", [])
            ),
            tuple(PriorityEntry(**e) for e in data.get("priorities", [])),
        )


# -- extraction ------------------------------------------------------------------------
REGISTERS_VERSION = "2"
PRIORITY_HEADING = re.compile(
    r"priorit|målgrupp|fokusområd|utvecklingsområd|insatsområd|delmål", re.I
)
PERIOD = re.compile(r"\b(20\d\d)(?:\s*[-–]\s*(20\d\d))?\b")
RESPONSIBLE_VERB = re.compile(
    r"^(?P<who>.{3,120}?)\s+(?:är\s+(?:ytterst\s+)?ansvarig(?:a)?(?:\s+utförare)?|"
    r"ansvarar(?:\s+löpande)?|har\s+(?:det\s+\w+\s+)?ansvar(?:et)?)\s+(?P<what>.+)$",
    re.S,
)
LEAD_IN = re.compile(r"^(?P<who>.{3,80}?)\s+har\s+det\s+\w+\s+ansvaret\s+att\s*:\s*$", re.S)
ROLE_BREAK = re.compile(r"(?<=[a-zåäö.])\s+(?=[A-ZÅÄÖ])")
TARGET_GROUPS = (
    "barn och unga",
    "barn",
    "unga",
    "äldre",
    "vuxna",
    "multisjuka",
    "invånare",
    "personer med psykisk ohälsa",
    "psykisk ohälsa",
    "beroende",
    "demens",
    "brukare",
)
SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


def _cell(cells: tuple[tuple[str, str], ...], *names: str) -> str:
    for column, value in cells:
        if any(n in column.lower() for n in names):
            return value.strip()
    return ""


def split_roles(cell: str) -> tuple[str, ...]:
    """ "Processledare Systemledning lokalt. Kommunikatör" → three roles."""
    parts = [p.strip(" .,;") for p in ROLE_BREAK.split(cell.replace("\n", " "))]
    return tuple(p for p in parts if p)


def _row_entry(doc: Document, block: Block) -> ResponsibilityEntry | None:
    who = _cell(block.cells, "ansvar", "resurs")
    if not who:
        return None
    return ResponsibilityEntry(
        activity=_cell(block.cells, "aktivitet") or block.cells[0][1].strip(),
        responsible=split_roles(who),
        timeline=_cell(block.cells, "tidsplan", "tid"),
        description=_cell(block.cells, "beskrivning"),
        document_id=doc.doc_id,
        section=" > ".join(block.section),
        page=block.page,
        quote=doc.block_text(block),
        char_start=block.start,
        char_end=block.end,
    )


def _sentence_entries(doc: Document, block: Block, lead: str) -> list[ResponsibilityEntry]:
    entries: list[ResponsibilityEntry] = []
    text = doc.block_text(block)
    for m in SENTENCE.finditer(text):
        sentence = m.group().strip()
        start = block.start + m.start() + (len(m.group()) - len(m.group().lstrip()))
        found = RESPONSIBLE_VERB.match(sentence)
        who, what = (found.group("who"), found.group("what")) if found else (lead, sentence)
        if not who or not _plausible_actor(who) or len(what.strip(" :.")) < 4:
            continue
        entries.append(
            ResponsibilityEntry(
                activity=what.strip().rstrip("."),
                responsible=(who.strip(" -•"),),
                timeline="",
                description="",
                document_id=doc.doc_id,
                section=" > ".join(block.section),
                page=block.page,
                quote=sentence,
                char_start=start,
                char_end=start + len(sentence),
            )
        )
        if not found:  # a list item under a lead-in: the item is the duty
            break
    return entries


def _plausible_actor(who: str) -> bool:
    """A named party ("Länsledning HälSam"), not a clause ("Det är oklart vem som")."""
    words = who.split()
    return len(words) <= 6 and not re.search(r"\b(vem|som|det|den|vi|man)\b", who, re.I)


def responsibilities_of(doc: Document) -> list[ResponsibilityEntry]:
    entries: list[ResponsibilityEntry] = []
    lead = ""
    for block in doc.blocks:
        if block.kind == "table_row":
            row = _row_entry(doc, block)
            if row:
                entries.append(row)
            continue
        if block.kind in ("heading", "paragraph"):
            m = LEAD_IN.match(doc.block_text(block).strip())
            lead = m.group("who") if m else ""
            if block.kind == "heading":
                continue
        entries += _sentence_entries(doc, block, lead if block.kind == "list_item" else "")
    return entries


def _period(texts: list[str]) -> tuple[str, int | None, int | None]:
    for text in reversed(texts):  # the nearest heading or lead-in first
        m = PERIOD.search(text)
        if m:
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            return m.group(0), first, last
    return "", None, None


def _target_group(text: str) -> str:
    low = text.lower()
    for group in TARGET_GROUPS:
        if re.search(rf"\b{re.escape(group)}\b", low):
            return group
    return ""


def _priority_name(text: str) -> str:
    clean = re.sub(r"[*_]+", "", text).strip()
    head = re.split(r"\s[–-]\s|(?<=[a-zåäö)])\.\s", clean, maxsplit=1)[0]
    return head.strip().rstrip(".:")[:160]


def priorities_of(doc: Document) -> list[PriorityEntry]:
    """List items under a priority heading or lead-in. An item nested under another
    ("1. Area" with its bullets) is filed under a section named after its parent."""
    entries: list[PriorityEntry] = []
    lead = parent = ""
    for block in doc.blocks:
        text = doc.block_text(block)
        if block.kind != "list_item":
            lead = text if block.kind == "paragraph" and _is_lead_in(text) else ""
            parent = ""
            continue
        if block.level <= 1:
            parent = _priority_name(text)
        section = (*block.section, parent) if block.level > 1 and parent else block.section
        context = [*section, lead]
        if any(PRIORITY_HEADING.search(c) for c in context) or PRIORITY_LEAD.search(lead):
            entries.append(_priority_entry(doc, block, text, section, _period(context)))
    return entries


def _is_lead_in(text: str) -> bool:
    """A paragraph that introduces the list after it: "… ska prioriteras:", or a short
    line such as "*Sex strategier har identifierats*"."""
    return text.rstrip().endswith(":") or len(text.strip()) <= SHORT_LEAD


SHORT_LEAD = 60
PRIORITY_LEAD = re.compile(r"strategier|satsningar|åtgärder", re.I)
"""Words that make a list a priority list when its lead-in (not a heading) says them."""


def _priority_entry(
    doc: Document,
    block: Block,
    text: str,
    section: tuple[str, ...],
    period: tuple[str, int | None, int | None],
) -> PriorityEntry:
    return PriorityEntry(
        period=period[0],
        year_from=period[1],
        year_to=period[2],
        target_group=_target_group(text),
        priority=_priority_name(text),
        document_id=doc.doc_id,
        section=" > ".join(section),
        page=block.page,
        quote=text,
        char_start=block.start,
        char_end=block.end,
    )


def extract_registers(doc: Document) -> Registers:
    return Registers(tuple(responsibilities_of(doc)), tuple(priorities_of(doc)))
