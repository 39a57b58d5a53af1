"""Sidecar files `<name>.meta.yaml`: metadata a user sets beside a document.

A sidecar is read with bounded cost (issue #16): its size is capped, YAML aliases and
anchors are refused before anything is built (a 314-byte file of nested aliases expands
to gigabytes), nesting deeper than the metadata needs is refused, and each field is
capped in length. A typo or a field over a limit is an `IngestError` naming the sidecar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingest.limits import IngestLimits, over_limit
from ingest.model import DocumentMetadata
from nara.errors import IngestError

SIDECAR_KEYS = set(DocumentMetadata.__dataclass_fields__)
MAX_DEPTH = 2
"""A mapping of fields, one of them a list (organisations, years): nothing deeper."""
LIST_KEYS = ("organisations", "access")
"""Fields that hold a list of names (a single name is a list of one)."""
MAX_ORGANISATIONS = 50
"""Organisations one document names; the sample documents name at most a handful."""
HINT = "Rätta eller ta bort sidofilen."


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.yaml")


def _check_events(side: Path, text: str) -> None:
    """Refuse aliases, anchors and deep nesting, from the parser's events: nothing is
    constructed yet, so an alias bomb costs nothing."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise IngestError(
                str(side),
                "använder YAML-ankare eller alias (& eller *), som inte är tillåtna i en sidofil.",
                "Skriv ut varje värde för sig. " + HINT,
            )
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise IngestError(
                    str(side),
                    f"är nästlad djupare än {MAX_DEPTH} nivåer.",
                    "En sidofil är en lista av fält, till exempel `title: …` och "
                    "`organisations: [A, B]`. " + HINT,
                )
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def read_sidecar(side: Path, limits: IngestLimits) -> dict[str, Any]:
    """The sidecar's fields, read within the limits; `{}` for an empty file."""
    try:
        size = side.stat().st_size
        if size > limits.max_sidecar_bytes:
            raise over_limit(
                str(side),
                "Sidofilens storlek",
                f"{size} byte",
                f"{limits.max_sidecar_bytes} byte",
                "ingest_max_sidecar_bytes",
            )
        text = side.read_text(encoding="utf-8")
        _check_events(side, text)
        data = yaml.safe_load(text) or {}
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise IngestError(
            str(side), f"är inte giltig YAML ({exc.__class__.__name__}).", HINT
        ) from None
    except OSError as exc:
        raise IngestError(str(side), f"kan inte läsas ({exc.strerror}).", HINT) from None
    if not isinstance(data, dict) or set(data) - SIDECAR_KEYS:
        unknown = sorted(map(str, set(data) - SIDECAR_KEYS)) if isinstance(data, dict) else data
        raise IngestError(
            str(side),
            f"has unknown keys {unknown}.",
            f"Allowed keys: {', '.join(sorted(SIDECAR_KEYS))}.",
        )
    return data


def _value(key: str, value: Any) -> Any:
    if key == "years" and value is not None:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(key)
        return (int(value[0]), int(value[1]))
    if key in LIST_KEYS:
        return [value] if isinstance(value, str) else [str(v) for v in value or ()]
    return str(value) if value is not None else None


def _check_lengths(side: Path, key: str, value: Any, limits: IngestLimits) -> None:
    texts = value if isinstance(value, list) else [value] if isinstance(value, str) else []
    if len(texts) > MAX_ORGANISATIONS:
        raise over_limit(
            str(side), f"Antalet värden i '{key}'", str(len(texts)), str(MAX_ORGANISATIONS)
        )
    for text in texts:
        if len(text) > limits.max_meta_chars:
            raise over_limit(
                str(side),
                f"Fältet '{key}'",
                f"{len(text)} tecken",
                f"{limits.max_meta_chars} tecken",
                "ingest_max_meta_chars",
            )


def apply_sidecar(
    path: Path, metadata: DocumentMetadata, limits: IngestLimits | None = None
) -> DocumentMetadata:
    """Overrides from `<file>.meta.yaml`, validated so a typo is an error, not ignored."""
    side = sidecar_path(path)
    if not side.exists():
        return metadata
    limits = limits or IngestLimits.defaults()
    for key, raw in read_sidecar(side, limits).items():
        try:
            value = _value(key, raw)
        except (TypeError, ValueError):
            raise IngestError(
                str(side),
                f"has an invalid value for '{key}': {str(raw)[:80]!r}.",
                "Write years as [first, last], and organisations and access (groups) as "
                "lists of names.",
            ) from None
        _check_lengths(side, key, value, limits)
        setattr(metadata, key, value)
    return metadata
