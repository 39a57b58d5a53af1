"""Structured registers extracted at ingest time: who is responsible, what is prioritised.

Every entry points back to a verbatim quote (`quote == text[char_start:char_end]`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from ingest import Block, Document
from knowledge.columns import row_cell


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
REGISTERS_VERSION = "3"
"""3: table columns from the declared list (Markdown tables too), priority lists only
under a priority cue, duplicates merged, items split over two lines joined."""
PERIOD = re.compile(r"\b(20\d\d)(?:\s*[-–]\s*(20\d\d))?\b")
_HAS = (
    r"(?:har|hade)\s+(?:haft\s+)?(?:också\s+|även\s+)?"
    r"(?:det\s+\w+\s+|ett\s+(?:\w+\s+)?)?ansvar(?:et)?"
)
"""The forms of "has responsibility" (har/hade, haft, också/även, a determiner and an
adjective before "ansvar(et)"), by Swedish grammar, not by one document's wording."""
RESPONSIBLE_VERB = re.compile(
    r"^(?P<who>.{3,120}?)\s+(?:är\s+(?:ytterst\s+)?ansvarig(?:a)?(?:\s+utförare)?|"
    rf"ansvarar(?:\s+löpande)?|{_HAS})\s+(?P<what>.+)$",
    re.S,
)
OTHER_FORMS = (
    # a cleft sentence ("det är X som …"), with the subject between "är det" and "som"
    re.compile(r"\bär det (?P<who>.{3,80}?) som (?:är ansvarig|ansvarar)\s+(?P<what>.+)$", re.S),
    # "I processen har förskrivaren ansvaret för …" (the subject after the verb)
    re.compile(
        r"^[A-ZÅÄÖ][^,]{2,60}?\s+har\s+(?P<who>[^,]{3,60}?)\s+(?:också\s+|även\s+)?"
        r"(?:det\s+\w+\s+|ett\s+)?ansvar(?:et)?\s+(?P<what>.+)$",
        re.S,
    ),
    # "Det övergripande ansvaret för vården ligger hos regionerna."
    re.compile(r"ansvaret\s+(?P<what>för\s.+?)\s+ligger\s+hos\s+(?P<who>.+?)\.?$", re.S),
)
LEAD_IN = re.compile(r"^(?P<who>.{3,80}?)\s+har\s+det\s+\w+\s+ansvaret\s+att\s*:\s*$", re.S)
ROLE_BREAK = re.compile(r"(?<=[a-zåäö.])\s+(?=[A-ZÅÄÖ])")
SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
LIST_JOIN = re.compile(r"\n[ \t]*(?:[-•*–▪◦●]|\d{1,2}[.)])[ \t]+")
"""The line break and marker between the two halves of a list item split over lines."""
SAME_ITEM = 0.9
"""Two items of one document whose normalised texts are this similar (difflib ratio)
are one item written twice (a typo, "förebyggande"/"förebygande"; a dropped word,
"stärka (vår) samverkan")."""


def split_roles(cell: str) -> tuple[str, ...]:
    """ "Processledare Systemledning lokalt. Kommunikatör" → three roles."""
    parts = [p.strip(" .,;") for p in ROLE_BREAK.split(cell.replace("\n", " "))]
    return tuple(p for p in parts if p)


def _row_entry(doc: Document, block: Block) -> ResponsibilityEntry | None:
    who = row_cell(block.cells, "who")
    if not who:
        return None
    return ResponsibilityEntry(
        activity=row_cell(block.cells, "what") or block.cells[0][1].strip(),
        responsible=split_roles(who),
        timeline=row_cell(block.cells, "when"),
        description=row_cell(block.cells, "description"),
        document_id=doc.doc_id,
        section=" > ".join(block.section),
        page=block.page,
        quote=doc.block_text(block),
        char_start=block.start,
        char_end=block.end,
    )


def _who_what(sentence: str) -> tuple[str, str] | None:
    for form in (RESPONSIBLE_VERB, *OTHER_FORMS):
        found = form.search(sentence)
        if found and _plausible_actor(found.group("who")):
            return found.group("who"), found.group("what")
    return None


def _sentence_entries(doc: Document, block: Block, lead: str) -> list[ResponsibilityEntry]:
    entries: list[ResponsibilityEntry] = []
    text = doc.block_text(block)
    for m in SENTENCE.finditer(text):
        sentence = m.group().strip()
        start = block.start + m.start() + (len(m.group()) - len(m.group().lstrip()))
        found = _who_what(sentence)
        who, what = found if found else (lead, sentence)
        if not who or not _plausible_actor(who) or len(what.strip(" :.")) < 4:
            continue
        entries.append(
            ResponsibilityEntry(
                activity=what.strip().rstrip("."),
                responsible=(who.strip(" -•*"),),
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
    return len(words) <= 6 and not re.search(r"\b(vem|som|det|den|vi|man|att)\b", who, re.I)


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


def extract_registers(doc: Document) -> Registers:
    from knowledge.priorities import priorities_of  # it builds this module's entries

    return Registers(tuple(responsibilities_of(doc)), tuple(priorities_of(doc)))
