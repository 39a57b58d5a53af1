"""The extra suite against corpus-extra as DOCX and PDF from real writers: documents the
PDF and DOCX readers were not tuned on.

    python -m evals.extra_formats [--writer pdf --writer docx] [--part test] [--json]

Each Markdown file of `../shared/corpus-extra` becomes a DOCX through pandoc (PyPI
`pypandoc_binary`: heading styles, real tables, bullet lists) and a PDF through
LibreOffice (`soffice --headless --convert-to pdf`, Debian `libreoffice-writer`), in a
temporary folder beside a copy of the four sample txt files; that folder goes into a
fresh store and the extra suite's gold questions are asked of it (`evals.formats`), gold
quotes missing from the extracted text counted as retrieval misses. Nothing converted is
kept or committed (corpus-extra stays in ../shared). CI does not run this: it needs
LibreOffice, which CI does not install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.fit_scorers import EXTRA_CORPUS, SAMPLE_CORPUS
from evals.formats import corpus_store, emit, format_row
from evals.split import Part, load_suite
from nara.settings import load_settings

WRITERS = ("pdf", "docx")
CONVERT_TIMEOUT_S = 600


def convert(sources: Sequence[Path], out: Path, writer: str) -> None:
    """Write each Markdown source as DOCX (pandoc) and, for "pdf", that DOCX as PDF
    (LibreOffice) into `out`."""
    import pypandoc

    work = out / "docx-work" if writer == "pdf" else out
    work.mkdir(parents=True, exist_ok=True)
    for md in sources:
        pypandoc.convert_file(
            str(md), "docx", format="gfm", outputfile=str(work / f"{md.stem}.docx")
        )
    if writer == "pdf":
        docx = sorted(str(p) for p in work.glob("*.docx"))
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), *docx],
            check=True,
            capture_output=True,
            timeout=CONVERT_TIMEOUT_S,
        )
        shutil.rmtree(work)


def run(writers: Sequence[str], part: Part) -> dict[str, dict[str, Any]]:
    extra = Path(os.environ.get("NARA_EXTRA_CORPUS", EXTRA_CORPUS))
    sources = sorted(extra.glob("[0-9]*.md"))
    gold = load_suite("extra", part)
    rows: dict[str, dict[str, Any]] = {}
    for writer in writers:
        with tempfile.TemporaryDirectory(prefix="nara-extra-") as tmp:
            folder = Path(tmp)
            for txt in SAMPLE_CORPUS.glob("*.txt"):
                shutil.copy(txt, folder / txt.name)
            convert(sources, folder, writer)
            print(f"… {writer}: {len(sources)} documents", file=sys.stderr)
            with corpus_store(load_settings(), folder) as (fresh, failed):
                rows[writer] = format_row(fresh, gold, "extra", folder) | {"failed": len(failed)}
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writer", action="append", choices=WRITERS)
    parser.add_argument("--part", choices=["dev", "test", "all"], default="test")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    emit(run(args.writer or list(WRITERS), args.part), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
