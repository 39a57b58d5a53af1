"""Document metadata inferred from content, because file names say nothing.

A sidecar file `<name>.meta.yaml` beside the document overrides what is inferred.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import yaml

from ingest.model import Block, DocumentMetadata, ReadNotes
from nara.errors import IngestError

# Checked in this order against the title, then against the opening text.
DOC_TYPES = (
    ("slutrapport", "slutrapport"),
    ("förstudie", "förstudie"),
    ("handlingsplan", "handlingsplan"),
    ("färdplan", "färdplan"),
    ("överenskommelse", "överenskommelse"),
    ("rutin", "rutin"),
    ("riktlinje", "riktlinje"),
    ("strategi", "strategi"),
    ("avsiktsförklaring", "avsiktsförklaring"),
)
GENERIC_HEADINGS = {
    "förord",
    "innehåll",
    "innehållsförteckning",
    "sammanfattning",
    "inledning",
    "bakgrund",
}
JOIN_WORDS = {"med", "för", "och", "i", "över", "om", "av", "till"}
REGION = re.compile(r"\bRegion ([A-ZÅÄÖ][a-zåäö]+)")
MUNICIPALITY = re.compile(r"\b([A-ZÅÄÖ][a-zåäö]+(?:-[A-ZÅÄÖ][a-zåäö]+)?) (?:kommun|KOMMUN)\b")
UPPER_MUNICIPALITY = re.compile(r"\b([A-ZÅÄÖ]{3,}) KOMMUN\b")
ISO_DATE = re.compile(r"\b(20\d\d|19\d\d)-(0[1-9]|1[0-2])-([0-3]\d)\b")
VALID_UNTIL = re.compile(
    r"gäller (?:till och med|t\.o\.m\.|till|fram till) (?:\w+ )?(20\d\d(?:-\d\d-\d\d)?)"
)
ADOPTED = re.compile(r"(?:antagen|antogs|beslutad|fastställd|godkänd)[^.]{0,60}?(20\d\d-\d\d-\d\d)")
YEAR_SPAN = re.compile(r"\b(20\d\d)\s*[-–]\s*(20\d\d)\b")
SIDECAR_KEYS = set(DocumentMetadata.__dataclass_fields__)


def _sentence_case(text: str, body: str) -> str:
    """'GEMENSAM SYSTEMLEDNING DOROTEA' → 'Gemensam systemledning Dorotea' (names kept)."""
    if not text.isupper():
        return text
    words = []
    for i, word in enumerate(text.split()):
        proper = word.capitalize()
        lower_seen = re.search(rf"(?<!\w){re.escape(word.lower())}(?!\w)", body)
        if i == 0 or (proper in body and not lower_seen):
            words.append(proper)
        else:
            words.append(word.lower())
    return " ".join(words)


def _doc_type_of(text: str) -> str | None:
    low = text.lower()
    for word, doc_type in DOC_TYPES:
        if word in low:
            return doc_type
    return None


def _opening_lines(text: str, limit: int = 30) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        line = re.sub(r"^#+\s*", "", raw.strip())
        if line:
            lines.append(line)
        if len(lines) >= limit:
            break
    return lines


def infer_title(text: str, blocks: Sequence[Block], styled_headings: bool = False) -> str:
    """The title from the opening lines, else the first heading that names a document type.
    A top heading (`# ` in text, or level 1 when headings are styled) may be the title."""
    lines = _opening_lines(text)
    top = next(  # with styled headings, the first top heading stands for `# `
        (
            b
            for b in blocks
            if styled_headings
            and b.kind == "heading"
            and b.level == 1
            and text[b.start : b.end].lower() not in GENERIC_HEADINGS
        ),
        None,
    )
    for i, line in enumerate(lines):
        if len(line) > 120 or line.endswith(".") or line.lower() in GENERIC_HEADINGS:
            continue
        is_h1 = any(
            b.kind == "heading"
            and b.level == 1
            and text[b.start : b.end] == line
            and (b is top or text[max(0, b.start - 2) : b.start] == "# ")
            for b in blocks
        )
        if not (_doc_type_of(line) or is_h1):
            continue
        title = _sentence_case(line, text)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        last_word = line.split()[-1].lower()
        if nxt and len(nxt) <= 120 and not nxt.endswith("."):
            if last_word in JOIN_WORDS or len(line.split()) == 1:
                title = f"{title} {nxt}"
            elif _doc_type_of(nxt):
                title = f"{title} – {nxt}"
        return title
    for block in blocks:
        heading = text[block.start : block.end]
        if block.kind == "heading" and _doc_type_of(heading):
            return heading
    # A document that opens with a top-level, unnumbered heading (a DOCX Title, an HTML h1)
    # is titled by it, even without a document-type word.
    first = next((b for b in blocks if b.kind == "heading"), None)
    if first is not None and first.level == 1:
        heading = text[first.start : first.end]
        generic = heading.lower() in GENERIC_HEADINGS
        if not generic and len(heading) <= 120 and not heading[:1].isdigit():
            return _sentence_case(heading, text)
    return ""


def infer_organisations(text: str) -> tuple[list[str], str]:
    """Organisations named in the document, and the region it belongs to."""
    found = REGION.findall(text)
    regions = Counter(n[:-1] if n.endswith("s") and n[:-1] in found else n for n in found)
    region = regions.most_common(1)[0][0] if regions else ""
    orgs = [f"Region {name}" for name, _ in regions.most_common()]
    opening = text[:2500]
    municipalities = [m.capitalize() for m in UPPER_MUNICIPALITY.findall(opening)]
    municipalities += MUNICIPALITY.findall(opening)
    enumeration = re.search(r"mellan ((?:[A-ZÅÄÖ][a-zåäö]+, )+[A-ZÅÄÖ][a-zåäö]+) kommun", opening)
    if enumeration:
        orgs += [n.strip() for n in enumeration.group(1).split(",")[:-1]]
    for name in municipalities:
        org = f"{name} kommun"
        if org not in orgs:
            orgs.append(org)
    if not region:
        county = re.search(r"\b([A-ZÅÄÖ][a-zåäö]+?)s? län\b", text)
        region = county.group(1) if county else ""
    return orgs, region


def infer_dates(text: str, title: str) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """(date or adoption date, valid until, first and last year concerned)."""
    adopted = ADOPTED.search(text)
    first = ISO_DATE.search(text[:3000])
    date = adopted.group(1) if adopted else (first.group(0) if first else None)
    until = VALID_UNTIL.search(text)
    valid_until = until.group(1) if until else None
    years = [int(v[:4]) for v in (date, valid_until) if v]
    if span := YEAR_SPAN.search(title):
        years += [int(span.group(1)), int(span.group(2))]
    return date, valid_until, (min(years), max(years)) if years else None


def infer_metadata(
    text: str, blocks: Sequence[Block], notes: ReadNotes | None = None
) -> DocumentMetadata:
    """`notes.furniture`: page header and footer lines (e.g. of a DOCX), read as if they
    opened the text, as they do in a text extracted page by page; the title is the body's."""
    notes = notes or ReadNotes()
    title = infer_title(text, blocks, notes.styled_headings)
    context = "\n\n".join([*notes.furniture, text]) if notes.furniture else text
    orgs, region = infer_organisations(context)
    date, valid_until, years = infer_dates(context, title)
    doc_type = _doc_type_of(title) or _doc_type_of(text[:3000]) or "dokument"
    return DocumentMetadata(title, orgs, region, doc_type, date, valid_until, years)


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.yaml")


def apply_sidecar(path: Path, metadata: DocumentMetadata) -> DocumentMetadata:
    """Overrides from `<file>.meta.yaml`, validated so a typo is an error, not ignored."""
    side = sidecar_path(path)
    if not side.exists():
        return metadata
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError(
            str(side),
            f"is not valid YAML ({exc.__class__.__name__}).",
            "Fix the sidecar file or remove it.",
        ) from None
    if not isinstance(data, dict) or set(data) - SIDECAR_KEYS:
        unknown = sorted(set(data) - SIDECAR_KEYS) if isinstance(data, dict) else data
        raise IngestError(
            str(side),
            f"has unknown keys {unknown}.",
            f"Allowed keys: {', '.join(sorted(SIDECAR_KEYS))}.",
        )
    for key, value in data.items():
        try:
            if key == "years" and value is not None:
                if not isinstance(value, list | tuple) or len(value) != 2:
                    raise ValueError(key)
                value = (int(value[0]), int(value[1]))
            elif key == "organisations":
                value = [value] if isinstance(value, str) else [str(v) for v in value or ()]
            elif value is not None:
                value = str(value)
        except (TypeError, ValueError):
            raise IngestError(
                str(side),
                f"has an invalid value for '{key}': {value!r}.",
                "Write years as [first, last] and organisations as a list of names.",
            ) from None
        setattr(metadata, key, value)
    return metadata
