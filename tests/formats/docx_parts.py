"""Word parts added with python-docx: page header and "Sida N av M" footer, numbering
definitions, and a table-of-contents field with its entries as Word caches them."""

from __future__ import annotations

from typing import Any

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from source import Source

HEADINGS_PER_PAGE = 3  # page numbers cached in the TOC: a plausible spread, not measured
BULLETS = ("•", "o", "▪")
LEVELS = 3
TOC_FIELD = 'TOC \\o "1-3" \\h \\z \\u'  # what Word inserts: outline levels 1-3, links


def _run(text: str, bold: bool = False) -> Any:
    r = OxmlElement("w:r")
    if bold:
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:b"))
        r.append(rpr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    r.append(t)
    return r


def _fld_char(kind: str) -> Any:
    r = OxmlElement("w:r")
    fc = OxmlElement("w:fldChar")
    fc.set(qn("w:fldCharType"), kind)
    r.append(fc)
    return r


def _instr(text: str) -> Any:
    r = OxmlElement("w:r")
    it = OxmlElement("w:instrText")
    it.set(qn("xml:space"), "preserve")
    it.text = f" {text} "
    r.append(it)
    return r


def _field(paragraph: Any, instruction: str, cached: str) -> None:
    p = paragraph._p
    for el in (_fld_char("begin"), _instr(instruction), _fld_char("separate"), _run(cached)):
        p.append(el)
    p.append(_fld_char("end"))


def add_header_footer(document: Any, source: Source) -> None:
    """The document's organisation and date line in the page header, "Sida N av M" below."""
    section = document.sections[0]
    header = section.header
    first = header.paragraphs[0]
    for i, line in enumerate(source.header_lines):
        paragraph = first if i == 0 else header.add_paragraph()
        paragraph.text = line
    footer = section.footer.paragraphs[0]
    footer.add_run("Sida ")
    _field(footer, "PAGE", "1")
    footer.add_run(" av ")
    _field(footer, "NUMPAGES", "1")


def _toc_style(document: Any, level: int, style_id: str) -> str:
    """Word's built-in "toc N" paragraph style (the id is language-dependent)."""
    styles = document.styles.element
    if styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']") is None:
        styles.append(
            parse_xml(
                f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="{style_id}">'
                f'<w:name w:val="toc {level}"/><w:basedOn w:val="Normal"/>'
                f'<w:pPr><w:ind w:left="{(level - 1) * 220}"/></w:pPr></w:style>'
            )
        )
    return style_id


def _style_p(style_id: str) -> Any:
    p = OxmlElement("w:p")
    ppr = OxmlElement("w:pPr")
    ps = OxmlElement("w:pStyle")
    ps.set(qn("w:val"), style_id)
    ppr.append(ps)
    p.append(ppr)
    return p


def toc_elements(document: Any, source: Source, title: str, style_prefix: str) -> list[Any]:
    """Paragraphs of an updated TOC field: title, then "Heading<TAB>page" entries."""
    heading_id = _toc_style_heading(document)
    title_p = _style_p(heading_id)
    title_p.append(_run(title))
    out = [title_p]
    entries = source.toc
    for n, (level, text) in enumerate(entries):
        p = _style_p(_toc_style(document, level, f"{style_prefix}{level}"))
        if n == 0:
            p.extend([_fld_char("begin"), _instr(TOC_FIELD), _fld_char("separate")])
        link = OxmlElement("w:hyperlink")
        link.set(qn("w:anchor"), f"_Toc{n:06d}")
        link.append(_run(text))
        link.append(_run("\t"))
        link.append(_run(str(2 + n // HEADINGS_PER_PAGE)))
        p.append(link)
        if n == len(entries) - 1:
            p.append(_fld_char("end"))
        out.append(p)
    return out


def _toc_style_heading(document: Any) -> str:
    return (
        document.styles["TOC Heading"].style_id
        if "TOC Heading" in [s.name for s in document.styles if s.type == WD_STYLE_TYPE.PARAGRAPH]
        else "Normal"
    )


def toc_sdt(paragraphs: list[Any]) -> Any:
    """Word's content control around a TOC: docPartGallery "Table of Contents"."""
    sdt = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr><w:docPartObj>"
        '<w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/>'
        "</w:docPartObj></w:sdtPr><w:sdtContent/></w:sdt>"
    )
    content = sdt.find(qn("w:sdtContent"))
    for p in paragraphs:
        content.append(p)
    return sdt


def add_numbering(document: Any) -> tuple[int, int]:
    """Abstract numbering definitions for bullets and decimals; their abstractNumIds."""
    numbering = document.part.numbering_part.element
    ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    bullet_id, decimal_id = max(ids, default=0) + 1, max(ids, default=0) + 2
    for abstract_id, fmt in ((bullet_id, "bullet"), (decimal_id, "decimal")):
        levels = "".join(
            f'<w:lvl w:ilvl="{k}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{BULLETS[k] if fmt == "bullet" else f"%{k + 1}."}"/>'
            f'<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="{360 * (k + 1)}" w:hanging="360"/>'
            "</w:pPr></w:lvl>"
            for k in range(LEVELS)
        )
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="hybridMultilevel"/>{levels}</w:abstractNum>'
        )
        first_num = numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            numbering.append(abstract)
    return bullet_id, decimal_id


def new_num(document: Any, abstract_id: int) -> int:
    """A list instance (w:num) of an abstract definition; each one restarts at 1."""
    numbering = document.part.numbering_part.element
    num_id = max((int(n.get(qn("w:numId"))) for n in numbering.findall(qn("w:num"))), default=0)
    num_id += 1
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
            "</w:num>"
        )
    )
    return num_id


def set_num(paragraph: Any, num_id: int, ilvl: int) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
        )
    )
