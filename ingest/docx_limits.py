"""A DOCX is checked against the ingest limits before python-docx opens it.

python-docx reads every part of the package into memory and parses its XML into a tree,
so a zip bomb or a document of a million elements costs gigabytes before any of our code
runs. Here, in order, each step bounding the cost of the next:

1. the zip's directory gives the unpacked size (zipfile stops at the declared size of a
   member, so no member unpacks to more than its entry says);
2. the XML parts are streamed once and their tags counted at byte level (start tags:
   elements; `<w:p>` tags: paragraphs), in memory of one read block;
3. each XML part, now known to be small enough, is parsed (entities unresolved, no
   network) and checked for an element deeper than the depth limit.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import IO

from lxml import etree

from ingest.limits import IngestLimits, check_count, over_limit
from nara.errors import IngestError

XML_SUFFIXES = (".xml", ".rels")
MB = 1e6
READ_BLOCK = 1 << 20
"""Bytes of a part read at a time while counting tags."""
NOT_ELEMENTS = (b"</", b"<?", b"<!")
"""Tags that open no element: end tags, processing instructions, comments and CDATA."""
PARAGRAPH_TAGS = (b"<w:p>", b"<w:p ", b"<w:p/>")
"""A paragraph's start tag, with Word's prefix for its main namespace (a file with another
prefix is still bounded by the element count, and by the blocks counted after reading)."""
TAG_OVERLAP = max(len(t) for t in PARAGRAPH_TAGS) - 1
"""Bytes kept from the previous block, so that no tag is missed across a block boundary."""


def _damaged(path: Path, reason: str) -> IngestError:
    return IngestError(
        str(path),
        f"is damaged or not a DOCX file ({reason}).",
        "Open and save it again in Word, or export it as PDF.",
    )


def _count_tags(stream: IO[bytes]) -> tuple[int, int]:
    """(elements, paragraphs) of one XML part, counted at byte level."""
    elements = paragraphs = 0
    tail = b""
    while block := stream.read(READ_BLOCK):
        data = tail + block
        skip = len(tail)  # tags wholly inside the tail were counted with the last block
        starts = data.count(b"<") - data[:skip].count(b"<")
        others = sum(data.count(t) - data[:skip].count(t) for t in NOT_ELEMENTS)
        elements += starts - others
        paragraphs += sum(data.count(t) - data[:skip].count(t) for t in PARAGRAPH_TAGS)
        tail = data[-TAG_OVERLAP:]
    return elements, paragraphs


def _check_depth(path: Path, xml: bytes, limit: int) -> None:
    """Refuse a part with an element deeper than `limit` (the root element is depth 1).
    The path `/*/*/…` visits each level once, so the check costs one pass at most."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml, parser)
    if root is not None and root.xpath("boolean(" + "/*" * (limit + 1) + ")"):
        raise over_limit(
            str(path),
            "XML-nästlingen",
            f"djupare än {limit} nivåer",
            f"{limit} nivåer",
            "ingest_max_xml_depth",
        )


def check_docx(path: Path, data: bytes, limits: IngestLimits) -> None:
    """Raise `IngestError` when the package unpacks to more than the limit, or its XML
    has more elements, deeper nesting or more paragraphs than allowed."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _damaged(path, type(exc).__name__) from None
    with package:
        members = package.infolist()
        unpacked = sum(m.file_size for m in members)
        if unpacked > limits.max_unzipped_mb * MB:
            raise over_limit(
                str(path),
                "Uppackad storlek",
                f"{unpacked / MB:.0f} MB",
                f"{limits.max_unzipped_mb:g} MB",
                "ingest_max_unzipped_mb",
            )
        xml_parts = [m for m in members if m.filename.lower().endswith(XML_SUFFIXES)]
        elements = paragraphs = 0
        try:
            for member in xml_parts:
                with package.open(member) as stream:
                    found = _count_tags(stream)
                elements, paragraphs = elements + found[0], paragraphs + found[1]
                check_count(
                    str(path),
                    "Antalet XML-element",
                    elements,
                    limits.max_xml_elements,
                    "ingest_max_xml_elements",
                )
                check_count(
                    str(path),
                    "Antalet stycken",
                    paragraphs,
                    limits.max_paragraphs,
                    "ingest_max_paragraphs",
                )
            for member in xml_parts:
                _check_depth(path, package.read(member), limits.max_xml_depth)
        except etree.XMLSyntaxError as exc:
            raise _damaged(path, f"XML: {str(exc)[:80]}") from None
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise _damaged(path, type(exc).__name__) from None
