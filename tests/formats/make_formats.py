"""Regenerates the PDFs under tests/formats/libreoffice/ and tests/formats/scanned/.

Writers (generation only; CI never runs this, it reads the committed PDFs):
- pandoc 3.x (PyPI `pypandoc_binary`): Markdown → DOCX with heading styles, real tables,
  bullet and numbered lists, and a table of contents;
- python-docx: page header and footer ("Sida N av M" from PAGE/NUMPAGES fields), the
  table header row repeated on each page, numbered headings with a tab after the number
  (as Word's automatic heading numbers print);
- LibreOffice Writer (Debian `libreoffice-writer-nogui`): DOCX → PDF, `soffice --convert-to`;
- pypdfium2 + Pillow + pypdf: two pages of one PDF rendered to images and put back as
  image-only pages (`scanned/`), as a scanner would produce them.

The structure of each sample is read with the project's own text parser, so the PDF holds
the headings, lists and tables the txt store sees. Run from the repository root:

    python tests/formats/make_formats.py [corpus_dir]
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from ingest.loaders import load_document  # noqa: E402
from ingest.readers import read_text  # noqa: E402
from ingest.structure import repeated_lines, split_lines  # noqa: E402

TOC_TITLES = {"innehåll", "innehållsförteckning"}
NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\s+(?=\S)")
LIST_NUMBER = re.compile(r"^\d{1,2}[.)]\s")
TOC_ENTRIES = 40
HEADINGS_PER_PAGE = 3  # page numbers printed in the TOC: plausible, not measured
SCAN_DPI = 150
JPEG_QUALITY = 60  # a typical office-scanner resolution
SCANNED_SOURCE = "000_05b96b91b6c43ee6"  # the sample whose action-plan tables are scanned
# Furniture styles, cycled over the samples: (header, footer); {title}, {date}, {n}, {m}.
FURNITURE = (
    ("{org}\t{date}", "Sida {n} av {m}"),
    ("{title}\t{n} ({m})", ""),
    ("{date}\t{org}", "Sida {n} av {m}"),
    ("{title}", "{n}"),
)


def md_escape(text: str) -> str:
    return re.sub(r"</?b>", "", text).replace("|", "\\|").replace("<", "&lt;")


def to_markdown(path: Path) -> str:
    """The sample as Markdown: one block of the txt parser per Markdown block."""
    text, blocks = read_text(path, path.read_bytes())
    out: list[str] = []
    table: list[tuple[tuple[str, str], ...]] = []

    def flush_table() -> None:
        if not table:
            return
        names = [n for n, _ in table[0]]
        named = not names[0].startswith("Kolumn ")
        width = max(len(r) for r in table)
        header = names if named else [""] * width
        out.append("| " + " | ".join(header) + " |")
        rows = []
        for row in table:
            values = dict(row) if named else {}
            cells = [values.get(n, "") for n in header] if named else [v for _, v in row]
            rows.append(cells + [""] * (len(header) - len(cells)))
        # Column widths (dash counts) follow the longest word and the mean cell length,
        # as a writer sizing columns to their content would.
        widths = [
            max(
                max(len(w) for r in rows for w in (r[k] + " " + header[k]).split()) * 3 // 2 + 2,
                sum(len(r[k]) for r in rows) // len(rows) // 3,
            )
            for k in range(len(header))
        ]
        out.append("|" + "|".join("-" * w for w in widths) + "|")
        for cells in rows:
            out.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
        out.append("")
        table.clear()

    for block in blocks:
        body = " ".join(text[block.start : block.end].split())
        if block.kind == "table_row":
            if table and [n for n, _ in table[0]] != [n for n, _ in block.cells]:
                flush_table()
            table.append(block.cells)
            continue
        flush_table()
        if block.kind == "heading":
            out += ["#" * min(block.level, 6) + " " + md_escape(body), ""]
        elif block.kind == "list_item":
            line_start = text.rfind("\n", 0, block.start) + 1
            marker = text[line_start : block.start].strip()
            bullet = "1." if marker[:1].isdigit() else "-"
            out += ["    " * (block.level - 1) + f"{bullet} {md_escape(body)}", ""]
        else:
            if LIST_NUMBER.match(body):
                body = body.replace(".", "\\.", 1)
            out += [md_escape(body), ""]
    flush_table()
    return "\n".join(out)


def _field(paragraph, instruction: str) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    paragraph._p.append(
        parse_xml(
            f'<w:fldSimple {nsdecls("w")} w:instr="{instruction}"><w:r><w:t>1</w:t></w:r>'
            "</w:fldSimple>"
        )
    )


def _furniture(paragraph, template: str, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Text with {n}/{m} as PAGE/NUMPAGES fields."""
    for part in re.split(r"(\{n\}|\{m\})", template):
        if part == "{n}":
            _field(paragraph, "PAGE")
        elif part == "{m}":
            _field(paragraph, "NUMPAGES")
        elif part:
            paragraph.add_run(part.format(**values))


def finish_docx(docx_path: Path, header: str, footer: str, values: dict[str, str]) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document(str(docx_path))
    section = document.sections[0]
    if header:
        _furniture(section.header.paragraphs[0], header, values)
    if footer:
        _furniture(section.footer.paragraphs[0], footer, values)
    for table in document.tables:
        if table.rows and any(c.text.strip() for c in table.rows[0].cells):
            tr_pr = table.rows[0]._tr.get_or_add_trPr()
            tr_pr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    headings = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style.startswith("Heading") and paragraph.runs:
            first = paragraph.runs[0]
            first.text = NUMBERED.sub(lambda m: m.group(1) + "\t", first.text)
            headings.append((int(style.split()[-1] or 1), paragraph.text))
    add_toc(document, headings)
    document.save(str(docx_path))


def add_toc(document, headings: list[tuple[int, str]]) -> None:  # type: ignore[no-untyped-def]
    """Word-style TOC entries (a right tab stop with dot leader, then the page number)
    after a heading named Innehåll/Innehållsförteckning, as Word prints an updated TOC."""
    from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Cm

    paragraphs = document.paragraphs
    at = next((p for p in paragraphs if p.text.strip().lower() in TOC_TITLES), None)
    if at is None:
        return
    after = [h for h in headings if h[1] != at.text][:TOC_ENTRIES]
    anchor = at
    for n, (level, title) in enumerate(after):
        new = document.add_paragraph()
        anchor._p.addnext(new._p)
        anchor = new
        new.paragraph_format.left_indent = Cm(0.5 * (level - 1))
        new.paragraph_format.tab_stops.add_tab_stop(
            Cm(16), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS
        )
        new.add_run(f"{title.replace(chr(9), ' ')}\t{2 + n // HEADINGS_PER_PAGE}")


def make_pdf(source: Path, out_dir: Path, style: tuple[str, str], work: Path) -> Path:
    import pypandoc

    meta = load_document(source).metadata
    org = next((o for o in meta.organisations), meta.region)
    values = {"title": meta.title, "date": meta.date or "", "org": org}
    docx_path = work / f"{source.stem}.docx"
    pypandoc.convert_text(
        to_markdown(source),
        "docx",
        format="markdown-smart-auto_identifiers",
        outputfile=str(docx_path),
        extra_args=["--columns=60"],
    )
    header, footer = style
    lines = list(split_lines(source.read_text(encoding="utf-8")))
    running = sorted(
        repeated_lines(lines), key=lambda t: next(ln.start for ln in lines if ln.text == t)
    )
    if running:  # the source's own running header (its repeated lines), as printed
        header = "\t".join(running)
    finish_docx(docx_path, header, footer, values)
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)],
        check=True,
        capture_output=True,
    )
    return out_dir / f"{source.stem}.pdf"


def scan_pages(pdf: Path, out: Path, pages: list[int]) -> None:
    """`pdf` with the given (1-based) pages replaced by grey-scale images of themselves."""
    import pypdfium2
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    rendered = pypdfium2.PdfDocument(str(pdf))
    writer = PdfWriter(clone_from=str(pdf))
    for number in pages:
        image = rendered[number - 1].render(scale=SCAN_DPI / 72).to_pil().convert("L")
        buffer = io.BytesIO()
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=JPEG_QUALITY)
        Image.open(jpeg).save(buffer, "PDF", resolution=SCAN_DPI)
        scanned = PdfReader(io.BytesIO(buffer.getvalue())).pages[0]
        writer.insert_page(scanned, number - 1)
        writer.remove_page(number)
    with out.open("wb") as fh:
        writer.write(fh)


def table_pages(pdf: Path) -> list[int]:
    """The last two pages that hold the action plan's column names."""
    from pypdf import PdfReader

    found = [
        n
        for n, page in enumerate(PdfReader(str(pdf)).pages, start=1)
        if "Aktivitet" in (page.extract_text() or "")
    ]
    return found[-2:]


def main(corpus: Path) -> None:
    lo_dir, scan_dir = HERE / "libreoffice", HERE / "scanned"
    lo_dir.mkdir(exist_ok=True)
    scan_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, source in enumerate(sorted(corpus.glob("*.txt"))):
            pdf = make_pdf(source, lo_dir, FURNITURE[i % len(FURNITURE)], Path(tmp))
            print(pdf.relative_to(ROOT))
            if source.stem == SCANNED_SOURCE:
                pages = table_pages(pdf)
                scan_pages(pdf, scan_dir / pdf.name, pages)
                print(f"{(scan_dir / pdf.name).relative_to(ROOT)}: pages {pages} scanned")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "corpus")
