"""Real documents for ingest tests, written by the real writers (reportlab, python-docx,
pypdf) into a test's temp folder. Nothing here parses; the tests parse with `ingest`."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

TABLE_HEADER = ("Aktivitet", "Beskrivning", "Ansvar/Resurser", "Tidsplan")
TABLE_ROWS = (
    ("Mobila team", "Gemensamma team för hemsjukvård", "Kommunerna och regionen", "2025"),
    ("Digital vårdcentral", "Utökad tillgänglighet via appen", "Regionen", "2025–2026"),
    ("Kompetensväxling", "Utbildning för undersköterskor", "HälSam länsledning", "Hösten 2025"),
    ("Trygg hemgång", "Uppföljning efter utskrivning", "Primärvården", "2026"),
)

INTRO = (
    "Nära vård är samlingsnamnet för den nationella omställningen av hälso- och sjukvården "
    "och omsorgen. Vården ska vara personcentrerad, sammanhållen och tillgänglig för alla "
    "invånare i länet, även i glesbygd där avstånden är långa."
)
PRIORITY = (
    "Under året prioriteras följande aktiviteter för att stärka samverkan mellan kommunerna "
    "och regionen. Ansvaret är gemensamt och följs upp årligen av länsledningen."
)

FILLER_ROWS = 36  # enough to push the table from page 1 onto page 2
PDF_TITLE = "Handlingsplan för Nära vård i Jämtland 2025"
PDF_HEADING = "6.2 Prioriterade områden 2025"


def table_rows(filler_rows: int) -> list[tuple[str, str, str, str]]:
    """Numbered filler rows, then the named rows: a long table ends on its last page."""
    filler = [
        (f"Uppföljning {i:02d}", f"Mätning av utfall i område {i:02d}", "Regionen", "2026")
        for i in range(1, filler_rows + 1)
    ]
    return [*filler, *TABLE_ROWS]


def write_report_pdf(
    path: Path,
    *,
    repeat_header: bool = True,
    filler_rows: int = FILLER_ROWS,
    col_widths: bool = False,
    table_font_size: float | None = None,
) -> Path:
    """A multi-page report made with reportlab platypus: a title, numbered headings, Swedish
    body text and a four-column table long enough to run from page 1 onto page 2.

    Without `col_widths` reportlab sizes the columns to their content. A `table_font_size`
    of 9 or less makes rows taller than a text line, so pypdf's layout mode puts a blank
    line between them."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    rows = [TABLE_HEADER, *table_rows(filler_rows)]
    widths = [110, 180, 130, 70] if col_widths else None
    table = Table(rows, colWidths=widths, repeatRows=1 if repeat_header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]
    if table_font_size is not None:
        style.append(("FONTSIZE", (0, 0), (-1, -1), table_font_size))
    table.setStyle(TableStyle(style))
    story = [
        Paragraph(PDF_TITLE, styles["Title"]),
        Paragraph("1 Inledning", styles["Heading1"]),
        Paragraph(INTRO, styles["BodyText"]),
        Paragraph(PDF_HEADING, styles["Heading2"]),
        Paragraph(PRIORITY, styles["BodyText"]),
        table,
        Paragraph("7 Uppföljning", styles["Heading1"]),
        Paragraph(
            "Länsledningen följer upp färdplanen varje höst och rapporterar till "
            "styrgruppen för Nära vård.",
            styles["BodyText"],
        ),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, title="ignored-by-ingest").build(story)
    return path


def write_tight_table_pdf(path: Path, n_rows: int = 40) -> Path:
    """A reportlab table sized to its content whose rows differ only in a number. pypdf's
    layout mode sets some of its columns only two spaces apart (on page 2)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    rows = [
        (f"Aktivitet {i}", f"Gemensamma team {i}", "Kommunerna och regionen", "2025")
        for i in range(n_rows)
    ]
    table = Table([TABLE_HEADER, *rows], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    story = [Paragraph(PDF_HEADING, getSampleStyleSheet()["Heading2"]), table]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def write_canvas_pdf(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with each string drawn as one line of text, spaces kept as written."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    for i, line in enumerate(lines):
        c.drawString(72, 720 - 14 * i, line)
    c.save()
    return path


def write_docx(path: Path) -> Path:
    """A Word document: Title, Heading 1/2, a bulleted list and a table with a header row."""
    import docx

    document = docx.Document()
    document.add_paragraph("Samverkan kring Nära vård i Jämtland", style="Title")
    document.add_paragraph("Dokumentet beskriver hur kommunerna och regionen arbetar tillsammans.")
    document.add_heading("Bakgrund", level=1)
    document.add_paragraph(INTRO)
    document.add_heading("Målgrupper", level=2)
    for item in ("Äldre med stora behov", "Barn och unga", "Personer med psykisk ohälsa"):
        document.add_paragraph(item, style="List Bullet")
    document.add_heading("Aktiviteter", level=1)
    document.add_heading("Prioriterade områden 2025", level=2)
    document.add_paragraph(PRIORITY)
    table = document.add_table(rows=1, cols=len(TABLE_HEADER))
    for cell, name in zip(table.rows[0].cells, TABLE_HEADER, strict=True):
        cell.text = name
    for row in TABLE_ROWS:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.add_paragraph("Planen revideras årligen av länsledningen.")
    document.save(str(path))
    return path


def write_markdown(path: Path) -> Path:
    path.write_text(
        "# Nära vård i Norrbotten\n\n"
        "Gemensam inriktning för kommunerna och Region Norrbotten.\n\n"
        "## Bakgrund\n\n"
        f"{INTRO}\n\n"
        "## Målgrupper\n\n"
        "- Äldre med stora behov\n"
        "- Barn och unga\n"
        "- Personer med psykisk ohälsa\n\n"
        "## Uppföljning\n\n"
        "Arbetet följs upp årligen.\n",
        encoding="utf-8",
    )
    return path


def write_html(path: Path) -> Path:
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in TABLE_ROWS
    )
    header = "".join(f"<th>{name}</th>" for name in TABLE_HEADER)
    path.write_text(
        "<!DOCTYPE html><html lang='sv'><head><meta charset='utf-8'>"
        "<title>Startsida – Region Gävleborg</title><style>p {color: red}</style></head>"
        "<body><nav><a href='/'>Hem</a></nav>"
        "<h1>Plan för Nära vård i Gävleborg</h1>"
        f"<p>{INTRO}</p>"
        "<h2>Målgrupper</h2>"
        "<ul><li>Äldre med stora behov</li><li>Barn och unga</li></ul>"
        "<h2>Prioriterade områden 2025</h2>"
        f"<p>{PRIORITY}</p>"
        f"<table><tr>{header}</tr>{rows}</table>"
        "<footer>Kontakta oss</footer></body></html>",
        encoding="utf-8",
    )
    return path


def write_plain_text(path: Path) -> Path:
    header = "\t".join(TABLE_HEADER)
    rows = "\n".join("\t".join(row) for row in TABLE_ROWS)
    path.write_text(
        "Färdplan Nära vård i Testlän\n\n"
        "1 Inledning\n\n"
        f"{INTRO}\n\n"
        "5 Ansvar och roller\n\n"
        "5.2 HälSams länsledning\n\n"
        "Länsledningen ansvarar för att färdplanen genomförs och följs upp.\n\n"
        f"{header}\n{rows}\n\n"
        "6 Uppföljning\n\n"
        "Uppföljningen sker årligen.\n",
        encoding="utf-8",
    )
    return path


CP1252_SENTENCE = "Överenskommelsen gäller till och med 2027"


def write_cp1252_text(path: Path) -> Path:
    text = (
        "Överenskommelse om Nära vård i Västernorrland\n\n"
        f"{CP1252_SENTENCE} och revideras därefter årligen.\n\n"
        "Parterna är överens om att vården ska vara nära, trygg och sammanhållen.\n"
    )
    path.write_bytes(text.encode("cp1252"))
    return path


# -- bad input -----------------------------------------------------------------------


def random_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def write_truncated_pdf(path: Path, tmp: Path) -> Path:
    """The first half of a real, valid PDF."""
    tmp.mkdir(parents=True, exist_ok=True)
    data = write_report_pdf(tmp / "whole-for-truncation.pdf").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def write_encrypted_pdf(path: Path, tmp: Path) -> Path:
    """A real PDF encrypted with a user password (it cannot be opened without it)."""
    tmp.mkdir(parents=True, exist_ok=True)
    from pypdf import PdfWriter

    source = write_report_pdf(tmp / "whole-for-encryption.pdf", filler_rows=0)
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="hemligt-losen", owner_password="agarens-losen")
    with path.open("wb") as f:
        writer.write(f)
    return path


def write_image_only_pdf(path: Path) -> Path:
    """A PDF whose page holds only drawn rectangles: no text layer at all."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.rect(72, 500, 300, 200, fill=1)
    c.rect(100, 100, 150, 80, stroke=1, fill=0)
    c.showPage()
    c.rect(72, 72, 400, 600, fill=0)
    c.save()
    return path


def write_binary_txt(path: Path) -> Path:
    path.write_bytes(random_bytes(2000) + b"\x00\x00\x00" + random_bytes(2000, seed=8))
    return path


def write_damaged_docx(path: Path) -> Path:
    path.write_bytes(random_bytes(4096, seed=9))
    return path


def write_docx_with_broken_xml(path: Path, tmp: Path) -> Path:
    """A real DOCX zip whose word/document.xml is cut in half (a failed save)."""
    tmp.mkdir(parents=True, exist_ok=True)
    source = write_docx(tmp / "whole-for-xml-damage.docx").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/document.xml":
                data = data[: len(data) // 2]
            zout.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path
