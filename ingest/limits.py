"""Bounds on what one file may cost at ingest (issue #16), and the errors that name them.

Every limit is a setting of the group `NARA_INGEST_*` (`settings.ingest`);
`IngestLimits.from_settings` reads them, and `IngestLimits.defaults()` takes the group's
own defaults without reading the environment. A file over a limit is refused with an
`IngestError` that names the file, the limit and the setting that raises it; nothing
stored before is touched.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ingest.model import DocumentMetadata
from nara.errors import IngestError
from nara.settings import Settings
from nara.settings_groups import IngestSettings


@dataclass(frozen=True)
class IngestLimits:
    max_sidecar_bytes: int
    max_meta_chars: int
    max_unzipped_mb: float
    max_xml_elements: int
    max_xml_depth: int
    max_paragraphs: int
    max_chunks: int
    max_spans: int

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        return cls.of(settings.ingest)

    @classmethod
    def defaults(cls) -> IngestLimits:
        """The settings' defaults, with no environment read."""
        return cls.of(IngestSettings())

    @classmethod
    def of(cls, ingest: IngestSettings) -> IngestLimits:
        """The limits of the group `NARA_INGEST_*`."""
        return cls(**{f.name: getattr(ingest, f.name) for f in fields(cls)})


def over_limit(
    path: str, what: str, found: str, limit: str, setting: str | None = None
) -> IngestError:
    """`<path>: <what> (<found>) är över gränsen <limit>.`, with a hint naming the setting
    that raises the limit (when one does)."""
    raise_it = f", eller höj NARA_{setting.upper()} om filen är betrodd" if setting else ""
    return IngestError(
        path,
        f"{what} ({found}) är över gränsen {limit}. Inget har lagrats från filen.",
        f"Dela upp eller förenkla filen{raise_it}.",
    )


def _number(n: float) -> str:
    return f"{n:,}".replace(",", " ")


def check_count(path: str, what: str, count: int, limit: int, setting: str) -> None:
    """Raise `over_limit` when `count` exceeds `limit`."""
    if count > limit:
        raise over_limit(path, what, _number(count), _number(limit), setting)


WORD_CUT_SHARE = 0.8
"""`clip` cuts at a space when one lies in the last fifth of the kept text."""


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when there is one
    near the end, with "…" marking the cut. For metadata read from a document itself,
    which is shortened rather than refused."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * WORD_CUT_SHARE:
        cut = cut[:space]
    return cut.rstrip() + "…"


def clip_metadata(metadata: DocumentMetadata, limit: int) -> DocumentMetadata:
    """The metadata a document's own text gave, each text field clipped to `limit`."""
    metadata.title = clip(metadata.title, limit)
    metadata.region = clip(metadata.region, limit)
    metadata.doc_type = clip(metadata.doc_type, limit)
    metadata.organisations = [clip(o, limit) for o in metadata.organisations]
    return metadata
