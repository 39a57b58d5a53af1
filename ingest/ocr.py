"""Words of a scanned PDF page, read by Tesseract's Swedish model.

The page is rendered with pdfplumber (pypdfium2) and given to the `tesseract` program
(Debian packages `tesseract-ocr` and `tesseract-ocr-swe`); its TSV output gives each
word with its box, which is returned in PDF points like pdfplumber's own words, so the
same layout analysis (lines, paragraphs, tables) reads scanned and born-digital pages.
"""

from __future__ import annotations

import csv
import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from nara.errors import IngestError

OCR_DPI = 300
"""Tesseract reads body text best at 300 dpi (its documentation's recommendation)."""
LANGUAGE = "swe"
MIN_CONFIDENCE = 30
"""Words Tesseract is less sure of (0–100) are noise from lines, stamps and specks."""
OCR_TIMEOUT_S = 120
NOISE = "=«»|_~"
"""Characters Tesseract reads from specks and table borders before a word; stripped."""
PACKAGES = "tesseract-ocr tesseract-ocr-swe"


def _missing(path: str, what: str) -> IngestError:
    return IngestError(
        path,
        f"har sidor utan textlager (inskannade) som måste läsas med OCR, men {what}.",
        f"Installera Debian-paketen {PACKAGES}: `apt-get install {PACKAGES}`.",
    )


@functools.lru_cache(maxsize=4)
def _languages(program: str) -> frozenset[str]:
    done = subprocess.run(
        [program, "--list-langs"], capture_output=True, text=True, timeout=OCR_TIMEOUT_S
    )
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:])


def tesseract(path: str) -> str:
    """The tesseract program, or an `IngestError` naming the packages to install."""
    program = shutil.which("tesseract")
    if program is None:
        raise _missing(path, "Tesseract är inte installerat")
    if LANGUAGE not in _languages(program):
        raise _missing(path, "Tesseracts svenska språkmodell saknas")
    return program


def ocr_words(path: str, page: Any) -> list[dict[str, Any]]:
    """Words of a pdfplumber page by OCR: text, x0, x1, top, bottom (points) and `size`,
    the height in points of the line the word stands on."""
    program = tesseract(path)
    image = page.to_image(resolution=OCR_DPI).original
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "page.png"
        image.save(png)
        done = subprocess.run(
            [program, str(png), "stdout", "-l", LANGUAGE, "tsv"],
            capture_output=True,
            text=True,
            timeout=OCR_TIMEOUT_S,
        )
    if done.returncode != 0:
        raise IngestError(
            path,
            f"sidan {page.page_number} kunde inte läsas med OCR (Tesseract avslutades med fel).",
            "Skanna sidan igen eller kör OCR på filen själv, t.ex. med ocrmypdf.",
        )
    return _parse_tsv(done.stdout, 72 / OCR_DPI)


def _parse_tsv(tsv: str, scale: float) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE))
    line_height: dict[tuple[str, ...], float] = {}
    for row in rows:
        if row.get("level") == "4":
            line_height[_line_key(row)] = float(row["height"]) * scale
    words = []
    for row in rows:
        text = (row.get("text") or "").strip().lstrip(NOISE)
        if row.get("level") != "5" or not text or float(row.get("conf") or -1) < MIN_CONFIDENCE:
            continue
        left, top = float(row["left"]) * scale, float(row["top"]) * scale
        width, height = float(row["width"]) * scale, float(row["height"]) * scale
        words.append(
            {
                "text": text,
                "x0": left,
                "x1": left + width,
                "top": top,
                "bottom": top + height,
                "size": line_height.get(_line_key(row), height),
                "fontname": "ocr",
            }
        )
    return words


def _line_key(row: dict[str, str]) -> tuple[str, ...]:
    return (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
