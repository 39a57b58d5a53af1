"""Files that cannot be read are refused with an `IngestError` that names the file, says
why and what to do, and one bad file never spoils an ingest run or the stored documents."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest import load_document
from nara.errors import IngestError
from nara.settings import Settings
from tests import docs_factory as f

NARA = Path(sys.executable).parent / "nara"  # the project's console script, same venv
DEFAULT_LIMIT = int(Settings.model_fields["max_file_mb"].default * 1e6)


def write_oversized(path: Path, size: int = DEFAULT_LIMIT + 1) -> Path:
    """A text file just over the size limit (sparse: it takes no disk space)."""
    with path.open("wb") as out:
        out.write("Stor fil om Nära vård.\n".encode())
        out.truncate(size)
    return path


# name -> (writer given the target path and a scratch folder, words the reason must contain)
BadWriter = Callable[[Path, Path], Path]
BAD_FILES: dict[str, tuple[BadWriter, tuple[str, ...]]] = {
    "trasig.pdf": (f.write_truncated_pdf, ("damaged",)),
    "slumpbytes.pdf": (lambda p, _: _write(p, f.random_bytes(5000)), ("damaged", "not a pdf")),
    "krypterad.pdf": (f.write_encrypted_pdf, ("encrypted",)),
    "skannad.pdf": (lambda p, _: f.write_image_only_pdf(p), ("no text layer",)),
    "tom.txt": (lambda p, _: _write(p, b""), ("empty",)),
    "binar.txt": (lambda p, _: f.write_binary_txt(p), ("binary",)),
    "kalkyl.xlsx": (lambda p, _: _write(p, f.random_bytes(300)), ("unsupported", ".xlsx")),
    "stor.txt": (lambda p, _: write_oversized(p), ("over the limit",)),
    "trasig.docx": (lambda p, _: f.write_damaged_docx(p), ("damaged", "docx")),
    "trasig-xml.docx": (f.write_docx_with_broken_xml, ("damaged", "docx")),
}
# Folders are expanded to the files with a supported format; others there are not read.
FOLDER_FAILURES = sorted(name for name in BAD_FILES if not name.endswith(".xlsx"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def write_bad_files(folder: Path, scratch: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    return {name: writer(folder / name, scratch) for name, (writer, _) in BAD_FILES.items()}


def assert_names_file_and_reason(err: IngestError, path: Path, reason: tuple[str, ...]) -> None:
    assert err.path == str(path)
    assert str(path) in str(err) and path.name in err.message
    for word in reason:
        assert word in err.message.lower(), (word, err.message)
    assert err.hint.strip(), "every refusal says what to do"


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_refused_with_reason_and_hint(tmp_path: Path, name: str) -> None:
    writer, reason = BAD_FILES[name]
    path = writer(tmp_path / name, tmp_path / "scratch-for-fixture")

    with pytest.raises(IngestError) as caught:
        load_document(path, max_bytes=DEFAULT_LIMIT)

    assert_names_file_and_reason(caught.value, path, reason)


def test_file_over_a_small_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = f.write_plain_text(tmp_path / "fardplan.txt")
    assert load_document(path, max_bytes=path.stat().st_size).text  # at the limit: fine

    with pytest.raises(IngestError) as caught:
        load_document(path, max_bytes=path.stat().st_size - 1)

    assert_names_file_and_reason(caught.value, path, ("over the limit",))
    assert "NARA_MAX_FILE_MB" in caught.value.hint


def test_missing_file_is_an_ingest_error(tmp_path: Path) -> None:
    path = tmp_path / "finns-inte.pdf"
    with pytest.raises(IngestError) as caught:
        load_document(path)
    assert_names_file_and_reason(caught.value, path, ("cannot be read",))


# -- end to end: the knowledge base and the CLI ------------------------------------------


def test_bad_files_do_not_spoil_ingest_or_stored_documents(
    tmp_path: Path, hash_settings: Settings
) -> None:
    from knowledge.base import KnowledgeBase

    folder = tmp_path / "inkorg"
    folder.mkdir()
    good = f.write_report_pdf(folder / "handlingsplan.pdf")
    parsed = load_document(good)
    kb = KnowledgeBase(hash_settings)
    first = kb.ingest([good])
    assert first.ok and first.added == [parsed.doc_id]
    stored_before = kb.documents()

    bad = write_bad_files(folder, tmp_path / "scratch")
    report = kb.ingest([folder])

    assert report.unchanged == [parsed.doc_id]
    assert report.added == [] and report.updated == [] and report.chunks == 0
    assert all(isinstance(err, IngestError) for err in report.failed)
    assert sorted(Path(err.path).name for err in report.failed) == FOLDER_FAILURES
    for err in report.failed:
        name = Path(err.path).name
        assert_names_file_and_reason(err, bad[name], BAD_FILES[name][1])

    # The file of an unsupported format is refused when named, not silently dropped.
    named = kb.ingest([bad["kalkyl.xlsx"]])
    assert [Path(err.path).name for err in named.failed] == ["kalkyl.xlsx"]

    assert kb.documents() == stored_before
    assert kb.document_text(parsed.doc_id) == parsed.text
    hits = kb.search("Kompetensväxling HälSam länsledning")
    assert hits and hits[0].document.doc_id == parsed.doc_id
    assert "HälSam länsledning" in " ".join(h.chunk.text for h in hits)


def test_a_document_of_headings_only_is_refused_and_nothing_is_stored(
    tmp_path: Path, hash_settings: Settings
) -> None:
    from knowledge.base import KnowledgeBase

    path = tmp_path / "rubriker.md"
    path.write_text("# Rutin\n\n## Ansvar\n\n## Uppföljning\n", encoding="utf-8")
    kb = KnowledgeBase(hash_settings)
    report = kb.ingest([path])
    assert report.added == [] and [Path(e.path).name for e in report.failed] == ["rubriker.md"]
    assert "bara rubriker" in report.failed[0].message and report.failed[0].hint
    assert kb.documents() == []


def test_cli_reports_each_bad_file_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "inkorg"
    folder.mkdir()
    f.write_plain_text(folder / "fardplan.txt")
    bad = write_bad_files(folder, tmp_path / "scratch")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARA_")}
    env |= {"NARA_DATA_DIR": str(tmp_path / "data"), "NARA_EMBEDDER": "hash"}

    done = subprocess.run(
        [str(NARA), "ingest", str(folder)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1, done.stderr
    # stderr: the progress bar, then exactly one line per failed file (no library noise).
    lines = [ln for ln in done.stderr.splitlines() if ln.strip() and "Läser in" not in ln]
    errors = [line for line in lines if line.startswith("fel: ")]
    assert errors == lines, done.stderr
    named = sorted(name for line in errors for name in bad if str(bad[name]) + ":" in line)
    assert named == FOLDER_FAILURES, errors
    assert len(errors) == len(FOLDER_FAILURES)
    summary = re.search(
        r"Dokument: 1 nytt, 0 uppdaterade, 0 oförändrade, (\d+) (?:misslyckat|misslyckade)\. "
        r"Textdelar: [1-9]\d*\.",
        done.stdout,
    )
    assert summary, done.stdout
    assert int(summary.group(1)) == len(FOLDER_FAILURES)
