"""Personal data in a document at ingest (issue #14): refuse the file, or mask the values.

`screen` runs on a document's text and blocks as its reader made them, before metadata,
chunks or vectors exist. By the policy (NARA_INGEST_PERSONAL_DATA):

- `refuse`: a file holding a private identifier (`ingest.personal_ids`) is refused with
  a `PersonalDataError` naming each kind and where it is (page, section);
- `mask`: each value is replaced by `[<kind>]` in the text, the blocks' table cells and
  section names, so it never reaches the store; the findings are returned for the
  ingest summary;
- `off`: nothing is looked for.

A finding holds its kind and place, never the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ingest.model import Block
from ingest.personal_ids import Hit, Kind, find_identifiers
from nara.errors import IngestError
from nara.settings import Settings
from nara.settings_groups import IngestSettings

Mode = Literal["refuse", "mask", "off"]
MAX_PLACES = 10
"""Places named in a refusal; the rest are counted ("och 5 till")."""
SECTION_SEPARATOR = " › "

LABELS: dict[Kind, str] = {
    "personnummer": "personnummer",
    "samordningsnummer": "samordningsnummer",
    "telefonnummer": "telefonnummer till privatperson",
    "e-postadress": "e-postadress till privatperson",
}


class PersonalDataError(IngestError):
    """A file holds personal data and the policy is to refuse it."""


@dataclass(frozen=True)
class PersonalDataPolicy:
    mode: Mode
    work_domains: tuple[str, ...]
    """E-mail domains of organisations: an address there is an official's, not private."""

    @classmethod
    def from_settings(cls, settings: Settings) -> PersonalDataPolicy:
        return cls.of(settings.ingest)

    @classmethod
    def of(cls, ingest: IngestSettings) -> PersonalDataPolicy:
        return cls(ingest.personal_data, tuple(ingest.work_mail_domains))

    @classmethod
    def defaults(cls) -> PersonalDataPolicy:
        """The settings' defaults, with no environment read."""
        return cls.of(IngestSettings())


@dataclass(frozen=True)
class Finding:
    """One identifier found in a document: its kind and place, never its value."""

    kind: Kind
    page: int | None
    section: str

    def place(self) -> str:
        """Swedish: "sidan 2, avsnittet «Kontakt»", or "före första rubriken"."""
        parts = [f"sidan {self.page}"] if self.page is not None else []
        if self.section:
            parts.append(f"avsnittet «{self.section}»")
        return ", ".join(parts) or "före första rubriken"

    def describe(self) -> str:
        return f"{LABELS[self.kind]} ({self.place()})"

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "page": self.page, "section": self.section}


def _block_at(blocks: Sequence[Block], offset: int) -> Block | None:
    for block in blocks:
        if block.start <= offset < block.end:
            return block
    return None


def locate(hits: Sequence[Hit], blocks: Sequence[Block]) -> list[Finding]:
    """Each hit's kind with the page and section of the block it lies in."""
    found = []
    for hit in hits:
        block = _block_at(blocks, hit.start)
        page = block.page_at(hit.start) if block else None
        section = SECTION_SEPARATOR.join(block.section) if block else ""
        found.append(Finding(hit.kind, page, section))
    return found


def summary(findings: Sequence[Finding]) -> str:
    """The distinct findings in order, the first MAX_PLACES named, the rest counted."""
    distinct = list(dict.fromkeys(f.describe() for f in findings))
    named = "; ".join(distinct[:MAX_PLACES])
    rest = len(distinct) - MAX_PLACES
    return named + (f"; och {rest} till" if rest > 0 else "")


def token(kind: Kind) -> str:
    """What a masked value becomes in the stored text."""
    return f"[{kind}]"


def mask_string(text: str, work_domains: Sequence[str]) -> str:
    """`text` with each private identifier replaced by its `token`."""
    out, pos = [], 0
    for hit in find_identifiers(text, work_domains):
        out += [text[pos : hit.start], token(hit.kind)]
        pos = hit.end
    return "".join(out) + text[pos:]


def _shift(offset: int, hits: Sequence[Hit]) -> int:
    """Where `offset` of the original text lands once `hits` are replaced by tokens (an
    offset inside a replaced value moves to the token's start)."""
    moved = offset
    for hit in hits:
        if hit.end <= offset:
            moved += len(token(hit.kind)) - (hit.end - hit.start)
        elif hit.start < offset:
            moved -= offset - hit.start
    return moved


def _masked_block(block: Block, hits: Sequence[Hit], domains: Sequence[str]) -> Block:
    return replace(
        block,
        start=_shift(block.start, hits),
        end=_shift(block.end, hits),
        section=tuple(mask_string(s, domains) for s in block.section),
        cells=tuple((mask_string(n, domains), mask_string(c, domains)) for n, c in block.cells),
        page_breaks=tuple((_shift(at, hits), page) for at, page in block.page_breaks),
    )


def screen(
    path: str, text: str, blocks: list[Block], policy: PersonalDataPolicy
) -> tuple[str, list[Block], tuple[Finding, ...]]:
    """The text and blocks to store, and what was masked in them; `PersonalDataError`
    when the policy is `refuse` and the text holds a private identifier."""
    if policy.mode == "off":
        return text, blocks, ()
    hits = find_identifiers(text, policy.work_domains)
    if not hits:
        return text, blocks, ()
    findings = tuple(locate(hits, blocks))
    if policy.mode == "refuse":
        raise PersonalDataError(
            path,
            f"innehåller personuppgifter: {summary(findings)}. Inget har lagrats från filen.",
            "Ta bort uppgifterna ur filen och läs in den igen, eller sätt "
            "NARA_INGEST_PERSONAL_DATA=mask så ersätts de med t.ex. [personnummer] vid "
            "inläsningen.",
        )
    masked = mask_string(text, policy.work_domains)
    return masked, [_masked_block(b, hits, policy.work_domains) for b in blocks], findings
