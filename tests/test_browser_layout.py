"""The staff chat as staff meet it, in real Chromium at desktop width (1366×900) and phone
width (390×844), each with a Swedish and an English browser: nothing overflows sideways,
table cells stay readable, no English from Gradio or from us is shown or read out, no raw
Markdown, and after an answer the view shows the answer's start. Screenshots of both
widths go to test-artifacts/ (the README shows them)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT, make_settings
from tests.http_server import serve_app
from tests.test_browser import ask
from ui.app.services import build_services
from ui.server import create_app

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH")

ARTIFACTS = ROOT / "test-artifacts"
KEY = "layout-admin-key-0123456789"
QUESTION = "Vem ansvarar för kommunikationsplanen i Dorotea?"
TIMEOUT_MS = 60_000
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
LOCALES = ("sv-SE", "en-US")
MIN_CELL_CHARS = 6
"""A table cell narrower than this many characters breaks words letter by letter."""

ENGLISH = re.compile(
    r"\b(Drop File Here|Click to Upload|More tabs|Copy message|Copied message|Scroll down|"
    r"Like|Dislike|Clear|chatbot conversation|message:|Loading|processing|Submit|Sources|"
    r"Login|username|password|Remove|Download|Upload|Chunks|Sort column|Empty)\b"
)
"""English that Gradio or our own strings have shown (issue #13)."""
RAW_MARKDOWN = re.compile(r"(^|\s)#{1,6} \S|\*\*\S")

PAGE_FACTS = """() => {
  const labels = [...document.querySelectorAll('[aria-label],[title],[placeholder]')]
    .filter(e => e.getClientRects().length)
    .flatMap(e => ['aria-label', 'title', 'placeholder'].map(a => e.getAttribute(a) || ''));
  const wide = [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height) return false;
    let p = e.parentElement;  // inside a box that scrolls sideways, overflow is intended
    while (p && p !== document.body) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) return false;
      p = p.parentElement;
    }
    return r.right > innerWidth + 1 || r.left < -1;
  }).map(e => e.tagName + '.' + String(e.className).slice(0, 50));
  const page_wide = document.documentElement.scrollWidth > innerWidth + 1;
  return {labels, wide, page_wide, text: document.body.innerText};
}"""

NARROW_CELLS = """(minChars) => {
  const canvas = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('table td, table th')]
    .filter(c => c.getClientRects().length && c.innerText.trim().length >= minChars)
    .filter(c => {
      canvas.font = getComputedStyle(c).font;
      const s = getComputedStyle(c);
      const inner = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
      return inner < canvas.measureText('0'.repeat(minChars)).width;
    }).map(c => c.innerText.trim().slice(0, 30));
}"""


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app over the sample corpus (hash embedder), with an admin key."""
    from knowledge.base import KnowledgeBase

    settings = make_settings(
        tmp_path_factory.mktemp("layout") / "store",
        embedder="hash",
        api_keys=[KEY],
        admin_keys=[KEY],
    )
    assert KnowledgeBase(settings).ingest([CORPUS]).ok
    with serve_app(create_app(settings, build_services(settings))) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def facts(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(PAGE_FACTS))


def assert_swedish_and_fitting(page: Any, where: str) -> None:
    seen = facts(page)
    assert not seen["page_wide"] and not seen["wide"], f"{where}: overflows: {seen['wide'][:8]}"
    english = {m.group(0) for t in [seen["text"], *seen["labels"]] for m in ENGLISH.finditer(t)}
    assert not english, f"{where}: English shown or read out: {sorted(english)}"


def sign_in(page: Any, url: str, locale: str) -> None:
    page.goto(url + "/")
    page.locator("input[type=password]").wait_for()
    assert_swedish_and_fitting(page, f"sign-in ({locale})")  # ui/chat/sign_in.py
    assert "Logga in" in page.locator("button").last.inner_text()
    page.locator("input[type=text]").first.fill("Anna")
    page.locator("input[type=password]").fill(KEY)
    page.locator("button").last.click()  # "Logga in" (its text follows the browser)
    page.wait_for_selector("#nara-question textarea")


def open_tab(page: Any, name: str) -> None:
    tab = page.get_by_role("tab", name=name)
    if not tab.is_visible():  # on a phone the other tabs sit behind "Fler flikar"
        page.get_by_role("button", name="Fler flikar").click()
        tab = page.get_by_role("tab", name=name)
    tab.click()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_chat_fits_speaks_swedish_and_shows_the_answer(
    browser: Any, url: str, width: str, locale: str
) -> None:
    w, h = VIEWPORTS[width]
    context = browser.new_context(locale=locale, viewport={"width": w, "height": h})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, url, locale)
        assert_swedish_and_fitting(page, "start")

        answer = ask(page, QUESTION)
        page.wait_for_timeout(500)  # the scroll after the answer
        start = answer.locator(".nara-answer").first
        box = start.bounding_box()
        chat = page.locator("#nara-chatbot").bounding_box()
        assert box is not None and chat is not None
        top = max(0.0, chat["y"])
        assert top - 1 <= box["y"] <= min(h, chat["y"] + chat["height"]) - 20, (box, chat)
        assert box["y"] < h - 20, f"the answer starts below the viewport: {box}"
        shown = answer.inner_text()
        assert "Kommunikationsplan" in shown
        assert not RAW_MARKDOWN.search(shown), shown
        assert not re.search(r"[«»„]", shown), "Swedish quotation marks are ”…”"
        assert_swedish_and_fitting(page, "answer")
        ARTIFACTS.mkdir(exist_ok=True)
        if locale == "sv-SE":
            page.screenshot(path=str(ARTIFACTS / f"chat-answer-{width}.png"))

        open_tab(page, "Ansvar och prioriteringar")
        table = page.locator("#nara-responsibilities")
        table.get_by_text("Kommunikationsplan", exact=True).first.wait_for()
        assert page.evaluate(NARROW_CELLS, MIN_CELL_CHARS) == []
        assert_swedish_and_fitting(page, "registers")
        if locale == "sv-SE":
            page.screenshot(path=str(ARTIFACTS / f"chat-registers-{width}.png"))

        open_tab(page, "Dokument")
        page.locator("#nara-documents").get_by_text("Dorotea").first.wait_for()
        page.get_by_text("Administrera dokument").click()
        page.locator("#nara-upload").wait_for()
        assert page.evaluate(NARROW_CELLS, MIN_CELL_CHARS) == []
        assert_swedish_and_fitting(page, "documents")
    finally:
        context.close()
