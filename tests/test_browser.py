"""The staff chat in a real browser: Debian's Chromium driven by Playwright against the
real app (`create_app`: REST API, Teams, probes and the chat mounted at "/"), served by
uvicorn on loopback.

Needs a Chromium binary on PATH (`chromium` or `chromium-browser`; on Debian
`apt-get install -y --no-install-recommends chromium`). Screenshots go to
test-artifacts/ at the repo root.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.model import Answer
from assistant.service import Assistant
from tests.conftest import ROOT, make_settings
from tests.http_server import serve_app
from ui.app.feedback import FeedbackStore
from ui.app.services import Services, build_services
from ui.server import create_app

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on PATH (Debian: apt-get install -y --no-install-recommends chromium)",
)

ARTIFACTS = ROOT / "test-artifacts"
USER_KEY = "browser-user-key-0123456789"
ADMIN_KEY = "browser-admin-key-0123456789"
DOROTEA_QUESTION = "Vem ansvarar för kommunikationsplanen i Dorotea?"
DOROTEA_TITLE = "Gemensam systemledning Dorotea – Förstudie med handlingsplan"
TIMEOUT_MS = 60_000


def squash(text: str) -> str:
    return " ".join(text.split())


# -- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    # A Swedish browser, as the staff's: Gradio's own texts follow the browser language.
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 1100})
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def sample_services(sample_kb, tmp_path_factory: pytest.TempPathFactory) -> Services:  # type: ignore[no-untyped-def]
    """The session's sample store behind the app's keys, with its own feedback file."""
    settings = sample_kb.settings.model_copy(
        update={"api_keys": [USER_KEY], "admin_keys": [ADMIN_KEY]}
    )
    feedback = FeedbackStore(tmp_path_factory.mktemp("browser-feedback") / "feedback.jsonl")
    return Services(settings, sample_kb, Assistant(sample_kb), feedback)


@pytest.fixture(scope="module")
def sample_url(sample_services: Services) -> Iterator[str]:
    with serve_app(create_app(sample_services.settings, sample_services)) as url:
        yield url


def marks(locator) -> list[str]:  # type: ignore[no-untyped-def]
    """The highlighted text under `locator`, shown or inside collapsed sources."""
    return [
        str(t) for t in locator.locator("mark").evaluate_all("ms => ms.map(m => m.textContent)")
    ]


def open_chat(page, url: str, key: str = USER_KEY) -> None:  # type: ignore[no-untyped-def]
    """Open the chat and sign in (NARA_CHAT_SIGN_IN=required): any name, a key as the
    password."""
    page.goto(url + "/")
    page.locator("input[type=text]").first.fill("Anna")
    page.locator("input[type=password]").fill(key)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_selector("#nara-question textarea")


def ask(page, question: str):  # type: ignore[no-untyped-def]
    """Ask in the chat; returns the locator of the complete last answer. "Skicka" is
    disabled while an answer streams, in the same update that adds the new message."""
    rows = page.locator("#nara-chatbot .bot-row")
    before = rows.count()
    page.fill("#nara-question textarea", question)
    page.click("#nara-send")
    page.wait_for_function(
        "n => document.querySelectorAll('#nara-chatbot .bot-row').length > n", arg=before
    )
    page.wait_for_function("() => !document.querySelector('#nara-send').disabled")
    return rows.last


# -- the chat on the sample corpus ----------------------------------------------------------
def test_chat_answers_with_highlighted_source(
    page,
    sample_url: str,
    sample_services: Services,  # type: ignore[no-untyped-def]
) -> None:
    expected: Answer = sample_services.assistant.ask(DOROTEA_QUESTION)
    assert expected.citations, "the sample corpus answers this question"

    open_chat(page, sample_url)
    # example questions are offered on first load
    for example in (
        "Vad är prioriterat 2025 i Västernorrland?",
        "Vilka målgrupper prioriteras för barn och unga?",
    ):
        page.locator("#nara-chatbot").get_by_text(example, exact=True).wait_for()

    answer = ask(page, DOROTEA_QUESTION)
    text = answer.inner_text()
    assert "Kommunikationsplan" in text
    assert DOROTEA_TITLE in text  # the document's title, once above its statements
    # [1] opens the collapsed sources, shows its source and highlights it
    first = expected.citations[0]
    answer.locator(".nara-cite").first.click()
    source = answer.locator(".nara-source").first
    expect(source).to_be_in_viewport()
    expect(source).to_have_class(re.compile("nara-flash"))
    assert first.source.section in source.inner_text()
    assert "Fil: " + first.source.file in source.inner_text()
    highlighted = [squash(" ".join(marks(s))) for s in answer.locator(".nara-source").all()]
    assert highlighted == [squash(c.quote) for c in expected.citations]
    # the quote is shown inside its surrounding text
    passage = squash(answer.locator(".nara-passage").first.inner_text())
    assert len(passage) > len(highlighted[0]) + 50

    ARTIFACTS.mkdir(exist_ok=True)
    # for the screenshot only: the whole conversation, not the chat's scrolled window
    page.add_style_tag(
        content="#nara-chatbot, #nara-chatbot .bubble-wrap "
        "{ height: auto !important; max-height: none !important; }"
    )
    page.screenshot(path=str(ARTIFACTS / "browser-chat.png"), full_page=True)

    # thumbs up with a comment is stored with the question, answer and citations
    page.fill("#nara-comment textarea", "Tydligt svar")
    page.get_by_role("button", name="Gilla", exact=True).last.click()
    page.locator("#nara-feedback-status").get_by_text("är sparat").wait_for()
    records = sample_services.feedback.all()
    assert len(records) == 1
    record = records[0]
    assert record["rating"] == "up" and record["comment"] == "Tydligt svar"
    assert record["question"] == DOROTEA_QUESTION and record["source"] == "chat"
    assert record["answer"] == expected.answer
    assert [c["quote"] for c in record["citations"]] == [c.quote for c in expected.citations]

    # a follow-up question is answered in the light of the conversation
    follow_up = ask(page, "Och vem ansvarar för intressentkartan?")
    assert DOROTEA_TITLE in follow_up.inner_text()
    assert "Intressentkarta" in " ".join(marks(follow_up))

    # an empty question gets a Swedish message in the chat
    assert "Frågan är tom" in ask(page, "").inner_text()


def test_example_question_is_asked_on_click(page, sample_url: str) -> None:  # type: ignore[no-untyped-def]
    open_chat(page, sample_url)
    page.locator("#nara-chatbot").get_by_text(
        "Hur länge gäller överenskommelsen i Västernorrland?", exact=True
    ).click()
    page.wait_for_function("() => document.querySelectorAll('#nara-chatbot .bot-row').length")
    page.wait_for_function("() => !document.querySelector('#nara-send').disabled")
    answer = page.locator("#nara-chatbot .bot-row").last
    assert "Färdplan Nära vård i Västernorrland" in answer.inner_text()
    assert "2027" in " ".join(marks(answer))


def test_filters_restrict_the_sources(page, sample_url: str) -> None:  # type: ignore[no-untyped-def]
    open_chat(page, sample_url)
    page.click("#nara-filter-organisation input")
    page.get_by_role("option", name="Region Dalarna", exact=True).click()
    page.keyboard.press("Escape")
    answer = ask(page, DOROTEA_QUESTION)
    assert DOROTEA_TITLE not in answer.inner_text()


def test_register_tab_shows_rows_and_their_sources(page, sample_url: str) -> None:  # type: ignore[no-untyped-def]
    open_chat(page, sample_url)
    page.get_by_role("tab", name="Ansvar och prioriteringar").click()
    table = page.locator("#nara-responsibilities")
    cell = table.get_by_text("Kommunikationsplan", exact=True).first
    cell.wait_for()
    assert DOROTEA_TITLE in table.inner_text()  # the source column
    cell.click()
    source = page.locator("#nara-responsibility-source")
    source.locator("mark").first.wait_for()
    assert "Källa: " + DOROTEA_TITLE in source.inner_text()
    assert "Kommunikationsplan" in marks(source)  # the row as a table (column, value)
    assert "Aktivitet" in source.locator(".nara-row th").all_inner_texts()
    assert page.locator("#nara-priorities").get_by_text("barn och unga").count() >= 1


def test_documents_tab_lists_the_four_documents(
    page,
    sample_url: str,
    sample_services: Services,  # type: ignore[no-untyped-def]
) -> None:
    open_chat(page, sample_url)
    page.get_by_role("tab", name="Dokument").click()
    table = page.locator("#nara-documents")
    docs = sample_services.kb.documents()
    assert len(docs) == 4
    for doc in docs:
        expect(table).to_contain_text(doc.title)
    first_column = table.locator('[data-testid^="cell-"][data-testid$="-0"]')  # cell-ROW-COL
    expect(first_column).to_have_count(4)
    assert {squash(t) for t in first_column.all_inner_texts()} == {d.title for d in docs}


def test_other_routes_still_answer_with_the_chat_mounted(
    sample_url: str, sample_services: Services
) -> None:
    with httpx.Client(base_url=sample_url, timeout=60) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        docs = client.get("/v1/documents", headers={"Authorization": f"Bearer {USER_KEY}"})
        assert docs.status_code == 200
        assert len(docs.json()["documents"]) == 4
        assert client.get("/v1/documents").status_code == 401  # the API's own answer
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]


# -- administration and errors, on a store of their own -----------------------------------
class FailingAssistant(Assistant):
    """Fails on one question with an internal detail that must not reach the user."""

    def stream(self, question, history=(), filters=None):  # type: ignore[no-untyped-def]
        if "krascha" in question:
            raise RuntimeError("intern detalj: /hemlig/sökväg")
        return super().stream(question, history, filters)


@pytest.fixture
def admin_services(tmp_path: Path) -> Services:
    settings = make_settings(tmp_path / "store", embedder="hash", admin_keys=[ADMIN_KEY])
    built = build_services(settings)
    return dataclasses.replace(built, assistant=FailingAssistant(built.kb))


def test_admin_uploads_and_removes_documents(
    page,
    admin_services: Services,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    good = tmp_path / "upload" / "handlingsplan-testby.md"
    good.parent.mkdir()
    good.write_text(
        "# Handlingsplan Nära vård Testby 2025\n\n"
        "## Ansvar\n\nTestby kommun ansvarar för hemtjänstens digitala tillsyn.\n",
        encoding="utf-8",
    )
    empty = good.parent / "tom.txt"
    empty.write_text("", encoding="utf-8")

    with serve_app(create_app(admin_services.settings, admin_services)) as url:
        open_chat(page, url, ADMIN_KEY)  # an admin key signs in too

        # any internal error is a generic Swedish message, without its details
        failed = ask(page, "Kan du krascha?").inner_text()
        assert "Något gick fel" in failed
        assert "hemlig" not in failed and "RuntimeError" not in failed

        page.get_by_role("tab", name="Dokument").click()
        page.get_by_text("Administrera dokument").click()
        page.locator("#nara-upload input[type=file]").set_input_files([str(good), str(empty)])
        uploads = page.locator("#nara-upload")  # names show as "tom" + ".txt"
        expect(uploads).to_contain_text(re.compile(r"tom\s*\.txt"), timeout=TIMEOUT_MS)
        expect(uploads).to_contain_text(re.compile(r"handlingsplan-testby\s*\.md"))

        expect(page.locator("#nara-admin-key")).to_have_count(0)  # the session decides
        assert admin_services.kb.documents() == []
        page.click("#nara-upload-btn")
        status = page.locator("#nara-upload-status")
        status.get_by_text("Inläsningen är klar").wait_for()
        report = status.inner_text()
        assert "1 nytt" in report and "1 misslyckat" in report
        assert "tom.txt är tom." in report
        [doc] = admin_services.kb.documents()
        assert doc.file == "handlingsplan-testby.md"
        documents = page.locator("#nara-documents")
        expect(documents).to_contain_text(doc.title)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-documents.png"), full_page=True)

        page.click("#nara-remove-choice input")
        page.get_by_role("option", name=re.compile(re.escape(doc.doc_id))).click()
        page.click("#nara-remove-btn")  # asks first, naming the document
        question = page.locator("#nara-remove-question")
        expect(question).to_contain_text(f"Ta bort ”{doc.title}”")
        page.click("#nara-remove-no")
        page.locator("#nara-remove-status").get_by_text("Inget togs bort").wait_for()
        expect(page.locator("#nara-remove-confirm")).to_be_hidden()
        assert [d.doc_id for d in admin_services.kb.documents()] == [doc.doc_id]
        page.click("#nara-remove-btn")
        expect(question).to_contain_text(doc.title)
        page.click("#nara-remove-yes")
        page.locator("#nara-remove-status").get_by_text("Borttaget").wait_for()
        expect(page.locator("#nara-remove-confirm")).to_be_hidden()
        assert admin_services.kb.documents() == []
        expect(documents).not_to_contain_text(doc.title)
        page.context.close()  # before the server stops: no open event streams
