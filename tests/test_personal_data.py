"""Personal data in documents at ingest (issue #14): real files (text, DOCX written by
python-docx, PDF written by reportlab) through the real knowledge base, refused or masked
by the setting; numbers that fail the Luhn or date check are left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.personal_data import PersonalDataError
from ingest.personal_ids import find_identifiers
from knowledge.base import KnowledgeBase
from tests.conftest import make_settings
from tests.test_cli import Cli

VALID = "19121212-1212"
"""Skatteverket's test person Tolvan Tolvansson: a valid date and check digit."""
VALID_SHORT = "121212-1212"
LUHN_FAILS = "19121212-1213"
COORDINATION = "701063-2391"
"""Skatteverket's example samordningsnummer (day 63 = the 3rd)."""
MOBILE = "070-123 45 67"
PRIVATE_MAIL = "anna.svensson@gmail.com"


def kinds(text: str, domains: tuple[str, ...] = ()) -> list[str]:
    return [h.kind for h in find_identifiers(text, domains)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Patient {VALID} skrevs ut.", ["personnummer"]),
        (f"Patient {VALID_SHORT} skrevs ut.", ["personnummer"]),
        ("Patient 191212121212 skrevs ut.", ["personnummer"]),
        ("Patient 1212121212 skrevs ut.", ["personnummer"]),
        (f"Samordningsnummer {COORDINATION}.", ["samordningsnummer"]),
        (f"Fel kontrollsiffra {LUHN_FAILS} och 121212-1213.", []),
        ("Omöjligt datum 19121312-1219 och 19120230-1234.", []),
        ("Organisationsnummer 232100-0016 och diarienummer 2023-01234.", []),
        (f"Ring {MOBILE} eller +46 (0)70-123 45 67.", ["telefonnummer", "telefonnummer"]),
        ("Växel: 090-785 00 00. Kundtjänst 0771-11 22 33.", []),
        ("Rutin Platina 09-389219, öppet 08-16.", []),
        (
            f"Mejla {PRIVATE_MAIL} eller registrator@umea.se, info.vard@exempel.se.",
            ["e-postadress"],
        ),
        ("Handläggare per.persson@regionstockholm.se", []),
    ],
)
def test_what_counts_as_a_private_identifier(text: str, expected: list[str]) -> None:
    assert kinds(text, ("regionstockholm.se",)) == expected


def write_txt(folder: Path, body: str) -> Path:
    path = folder / "rutin.txt"
    path.write_text(
        "Rutin för hemsjukvård\n\n# Bakgrund\n\nRutinen gäller alla enheter.\n\n"
        f"# Kontakt\n\n{body}\n",
        encoding="utf-8",
    )
    return path


def write_docx(folder: Path, body: str) -> Path:
    import docx

    document = docx.Document()
    document.add_paragraph("Avvikelse i hemtjänsten", style="Title")
    document.add_heading("Händelse", level=1)
    document.add_paragraph("Händelsen rapporterades av nattpersonalen.")
    document.add_heading("Berörda", level=1)
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Roll", "Uppgift"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Patient", body
    path = folder / "avvikelse.docx"
    document.save(str(path))
    return path


def write_pdf(folder: Path, body: str) -> Path:
    from reportlab.pdfgen import canvas

    path = folder / "protokoll.pdf"
    c = canvas.Canvas(str(path))
    c.drawString(72, 720, "Protokoll från samverkansmötet om hemsjukvård")
    c.drawString(72, 700, "Mötet behandlade uppföljningen av mobila team i länet.")
    c.showPage()
    c.drawString(72, 720, "Närvarande och kontaktuppgifter till anhörig efter mötet:")
    c.drawString(72, 700, body)
    c.save()
    return path


WRITERS = {"txt": write_txt, "docx": write_docx, "pdf": write_pdf}


def kb_for(tmp_path: Path, mode: str) -> KnowledgeBase:
    settings = make_settings(tmp_path / "store", embedder="hash", ingest={"personal_data": mode})
    return KnowledgeBase(settings)


def stored_texts(kb: KnowledgeBase, doc_id: str) -> list[str]:
    """The document's stored text, and every chunk and span search can return."""
    results = kb.search("kontakt anhörig patient uppgift", k=50)
    chunks = [r.chunk for r in results if r.document.doc_id == doc_id]
    spans = kb.spans_for([c.chunk_id for c in chunks])
    return [kb.document_text(doc_id), *(c.text for c in chunks), *(s.text for s in spans)]


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_a_valid_personnummer_refuses_the_file(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, f"Anhörig Karin, {VALID}, nås på {MOBILE}.")
    kb = kb_for(tmp_path, "refuse")
    report = kb.ingest([path])
    assert not report.added and len(report.failed) == 1
    err = report.failed[0]
    assert isinstance(err, PersonalDataError)
    message = str(err)
    assert "personnummer" in message and "telefonnummer till privatperson" in message
    told = message.replace(str(tmp_path), "")  # the temp folder's name may hold digits
    assert VALID not in told and "1212" not in told and "45 67" not in told
    assert "NARA_INGEST_PERSONAL_DATA=mask" in err.hint
    assert kb.documents() == []
    if fmt == "pdf":
        assert "sidan 2" in message
    if fmt == "txt":
        assert "avsnittet «Kontakt»" in message


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_masking_keeps_the_values_out_of_the_store(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, f"Anhörig Karin, {VALID}, nås på {MOBILE} och {PRIVATE_MAIL}.")
    kb = kb_for(tmp_path, "mask")
    report = kb.ingest([path])
    assert report.ok and len(report.added) == 1, report.failed
    doc_id = report.added[0]
    texts = stored_texts(kb, doc_id)
    assert len(texts) > 1  # the chunk holding the masked line was found
    joined = "\n".join(texts)
    for value in (VALID, MOBILE, PRIVATE_MAIL, "gmail"):
        assert value not in joined
    assert "[personnummer]" in joined and "[telefonnummer]" in joined
    assert "[e-postadress]" in joined
    found = report.personal_data[path.name]
    assert sorted(f.kind for f in found) == ["e-postadress", "personnummer", "telefonnummer"]
    if fmt == "pdf":
        assert {f.page for f in found} == {2}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_a_number_failing_the_luhn_check_is_left_alone(tmp_path: Path, fmt: str) -> None:
    path = WRITERS[fmt](tmp_path, f"Ärendenummer {LUHN_FAILS} gäller avvikelsen.")
    kb = kb_for(tmp_path, "refuse")
    report = kb.ingest([path])
    assert report.ok and len(report.added) == 1, report.failed
    assert not report.personal_data
    assert LUHN_FAILS in kb.document_text(report.added[0])


def test_the_cli_summary_names_kind_and_place_never_the_value(tmp_path: Path) -> None:
    path = write_txt(tmp_path, f"Anhörig nås på {MOBILE}.")
    cli = Cli(cwd=tmp_path, data_dir=tmp_path / "data")
    refused = cli.run("ingest", "-q", str(path))
    assert refused.returncode == 1
    assert "telefonnummer till privatperson (avsnittet «Kontakt»)" in refused.stderr
    masked = cli.run("ingest", "-q", str(path), NARA_INGEST_PERSONAL_DATA="mask")
    assert masked.returncode == 0, masked.stderr
    assert "Maskerat: rutin.txt: telefonnummer till privatperson (avsnittet «Kontakt»)" in (
        masked.stdout
    )
    assert MOBILE not in refused.stderr + masked.stdout + masked.stderr


@pytest.mark.parametrize("mode", ["refuse", "mask"])
def test_an_upload_over_http_is_refused_or_masked(tmp_path: Path, mode: str) -> None:
    import httpx

    from tests.http_server import serve_app
    from ui.app.services import build_services
    from ui.server import create_app

    admin = "admin-key-0123456789abcdef"
    settings = make_settings(
        tmp_path / "store", embedder="hash", admin_keys=[admin], ingest={"personal_data": mode}
    )
    path = write_docx(tmp_path, f"Patient {VALID}")
    with serve_app(create_app(settings, build_services(settings))) as url:
        reply = httpx.post(
            url + "/v1/documents",
            headers={"Authorization": f"Bearer {admin}"},
            files={"files": (path.name, path.read_bytes())},
            timeout=120,
        )
    body = reply.json()
    assert VALID not in reply.text and "121212" not in reply.text
    if mode == "refuse":
        assert reply.status_code == 422 and body["added"] == []
        assert "personnummer (avsnittet «Berörda»)" in body["failed"][0]["error"]
    else:
        assert reply.status_code == 200 and body["added"] == ["avvikelse"]
        assert body["personal_data"] == {
            "avvikelse.docx": [{"kind": "personnummer", "page": None, "section": "Berörda"}]
        }
