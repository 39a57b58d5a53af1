"""Regenerates the format corpus written by pandoc, python-docx and Chromium from the
sample documents: `python tests/formats/make_formats_docx.py [corpus dir]`.

Each file keeps its sample's stem, so the gold set's document ids match:
- `pandoc/<stem>.docx`: HTML → DOCX by pandoc (heading styles, tables, lists), then a
  page header (organisation, date), a "Sida N av M" footer and a Word TOC content control;
- `python-docx/<stem>.docx`: written directly (numbering definitions, nested bullets,
  bold labels, Swedish TOC styles, a heading style known only by its outline level);
- `chromium/<stem>.pdf`: printed by Debian's Chromium with header and footer templates;
- `two-column/<stem>.pdf`: the same in two CSS columns.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent.parent)]

import docx  # noqa: E402
import docx_parts as parts  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls  # noqa: E402
from html_render import TOC_PLACEHOLDER, page_html  # noqa: E402
from source import Item, Source, blocks, runs, sources  # noqa: E402

LABEL = re.compile(r"^([A-ZÅÄÖ][\wåäö /-]{1,30}:)\s")
OUTLINE_STYLE = "Avsnittsrubrik"  # a custom heading style recognised by outline level only
OUTLINE_FROM = 4  # headings at this depth and below use it
MARGIN = {"top": "22mm", "bottom": "20mm", "left": "20mm", "right": "20mm"}
TEMPLATE_STYLE = "font-family:'DejaVu Sans',sans-serif;font-size:8pt;width:100%;margin:0 20mm;"


# -- pandoc ----------------------------------------------------------------------------


def pandoc_docx(source: Source, out: Path) -> None:
    import pypandoc

    pypandoc.convert_text(
        page_html(source, printed=False), "docx", format="html", outputfile=str(out)
    )
    document = docx.Document(str(out))
    parts.add_header_footer(document, source)
    toc = next((i for i in source.items if i.kind == "toc"), None)
    for paragraph in document.paragraphs:
        if paragraph.text.strip() == TOC_PLACEHOLDER and toc is not None:
            sdt = parts.toc_sdt(parts.toc_elements(document, source, toc.text, "TOC"))
            paragraph._p.addprevious(sdt)
            paragraph._p.getparent().remove(paragraph._p)
    document.save(str(out))


# -- python-docx -----------------------------------------------------------------------


def _add_runs(paragraph: Any, text: str) -> None:
    spans = runs(text)
    label = LABEL.match(text) if not any(b for _, b, _ in spans) else None
    if label:  # "Ansvar: …" written as Word users do, the label in bold
        paragraph.add_run(label.group(1)).bold = True
        spans = runs(text[label.end(1) :])
    for t, bold, italic in spans:
        run = paragraph.add_run(t)
        run.bold, run.italic = bold or None, italic or None


def _outline_style(document: Any, level: int) -> str:
    """A custom paragraph style whose only heading mark is its outline level."""
    name = f"{OUTLINE_STYLE} {level}"
    if name not in [s.name for s in document.styles]:
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.font.bold = True
        style.element.get_or_add_pPr().append(
            parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{level - 1}"/>')
        )
    return name


def _heading(document: Any, item: Item) -> None:
    if item.level >= OUTLINE_FROM:
        document.add_paragraph(item.text, style=_outline_style(document, item.level))
    else:
        document.add_heading(item.text, item.level)


def _list(document: Any, run: list[Item], ids: tuple[int, int]) -> None:
    nums = {kind: parts.new_num(document, ids[kind]) for kind in (0, 1)}
    for item in run:
        style = "List Number" if item.ordered else "List Bullet"
        paragraph = document.add_paragraph(style=style)
        _add_runs(paragraph, item.text)
        parts.set_num(paragraph, nums[int(item.ordered)], min(item.level, parts.LEVELS) - 1)


def _table(document: Any, item: Item) -> None:
    width = max([len(item.header), *(len(r) for r in item.rows)])
    rows = ([item.header] if item.header else []) + item.rows
    table = document.add_table(rows=len(rows), cols=width)
    table.style = document.styles["Table Grid"]
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = table.cell(r, c).paragraphs[0]
            if r == 0 and item.header:
                cell.add_run(value).bold = True
            else:
                _add_runs(cell, value)
    if item.header:
        tr_pr = table.rows[0]._tr.get_or_add_trPr()
        tr_pr.append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))


def python_docx_docx(source: Source, out: Path) -> None:
    document = docx.Document()
    ids = parts.add_numbering(document)
    parts.add_header_footer(document, source)
    for block in blocks(source.items):
        item = block[0]
        if item.kind == "list":
            _list(document, block, ids)
        elif item.kind == "heading":
            _heading(document, item)
        elif item.kind == "paragraph":
            _add_runs(document.add_paragraph(), item.text)
        elif item.kind == "table":
            _table(document, item)
        elif item.kind == "toc":
            anchor = document.add_paragraph()._p
            for el in parts.toc_elements(document, source, item.text, "Innehll"):
                anchor.addprevious(el)
            anchor.getparent().remove(anchor)
    document.save(str(out))


# -- Chromium --------------------------------------------------------------------------


def chromium_pdfs(items: list[tuple[Source, Path, bool]]) -> None:
    """Print each (source, out, two_column) with Chromium's header and footer templates."""
    from playwright.sync_api import sync_playwright

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        raise SystemExit("Chromium saknas: apt-get install -y --no-install-recommends chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, headless=True)
        page = browser.new_page()
        for source, out, two_column in items:
            page.set_content(page_html(source, printed=True, two_column=two_column))
            header = " · ".join(html.escape(line) for line in source.header_lines)
            page.pdf(
                path=str(out),
                format="A4",
                margin=MARGIN,
                display_header_footer=True,
                header_template=f'<div style="{TEMPLATE_STYLE}">{header}</div>',
                footer_template=(
                    f'<div style="{TEMPLATE_STYLE}text-align:right">Sida '
                    '<span class="pageNumber"></span> av <span class="totalPages"></span></div>'
                ),
            )
        browser.close()


def main(corpus: Path = HERE.parent.parent / "corpus") -> None:
    samples = sources(corpus)
    for writer in ("pandoc", "python-docx", "chromium", "two-column"):
        (HERE / writer).mkdir(exist_ok=True)
    prints = []
    for source in samples:
        pandoc_docx(source, HERE / "pandoc" / f"{source.stem}.docx")
        python_docx_docx(source, HERE / "python-docx" / f"{source.stem}.docx")
        prints.append((source, HERE / "chromium" / f"{source.stem}.pdf", False))
        prints.append((source, HERE / "two-column" / f"{source.stem}.pdf", True))
    chromium_pdfs(prints)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "corpus")
