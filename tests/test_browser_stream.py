"""Streaming you can see, in real Chromium: while an answer arrives the chat shows the
lead line first, then one more statement at a time, then the whole answer with its
sources (issue #13). The states are sampled at every animation frame: only what the
browser painted counts, not states replaced before anyone could see them.
The app, store and sign-in are tests/test_browser_layout.py's."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser import ask
from tests.test_browser_layout import (  # noqa: F401 - fixtures
    CHROMIUM,
    QUESTION,
    TIMEOUT_MS,
    browser,
    sign_in,
    url,
)
from ui.chat.handlers import STREAM_BUDGET_S

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH")

SLACK_S = 2.0
"""Time the browser and a loaded machine may add between the lead and the whole answer,
over the pacing's budget."""

RECORD = """() => {
  window.naraStates = [];
  const chat = document.getElementById('nara-chatbot');
  const sample = () => {
    const rows = chat.querySelectorAll('.bot-row');
    const last = rows[rows.length - 1];
    if (last) {
      const state = {
        t: performance.now(),
        text: last.innerText,
        whole: !!last.querySelector('.nara-answer'),
        sources: !!last.querySelector('.nara-source'),
      };
      const prev = window.naraStates[window.naraStates.length - 1];
      if (!prev || prev.text !== state.text || prev.whole !== state.whole) {
        window.naraStates.push(state);
      }
    }
    requestAnimationFrame(sample);
  };
  requestAnimationFrame(sample);
}"""
"""Records what the last answer shows at each animation frame, that is, each state the
browser painted (a state replaced before the next frame is never seen, and not recorded)."""


def markers(text: str) -> list[str]:
    return re.findall(r"\[(\d+)\]", text)


def test_the_lead_then_each_statement_then_the_whole_answer(
    browser: Any,  # noqa: F811 - the fixture imported above
    url: str,  # noqa: F811
) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, url, "sv-SE")
        page.evaluate(RECORD)
        answer = ask(page, QUESTION)
        answer.locator(".nara-answer").wait_for()
        # The whole answer is in the page; wait for a frame to have painted it (on a
        # loaded machine the sampler's next frame may come after wait_for returns).
        page.wait_for_function("() => window.naraStates.some(s => s.whole)")
        states: list[dict[str, Any]] = page.evaluate("() => window.naraStates")
    finally:
        context.close()

    final = next(i for i, s in enumerate(states) if s["whole"])
    assert states[final]["sources"]
    streaming = [s for s in states[:final] if markers(s["text"])]
    counts = [len(set(markers(s["text"]))) for s in streaming]
    assert len(streaming) >= 3, [s["text"][:80] for s in states]
    assert counts[0] == 1, "the lead line comes first, alone"
    assert counts == sorted(counts) and len(set(counts)) >= 3, counts
    assert not any(s["sources"] for s in streaming), "sources come with the whole answer"
    lead = streaming[0]["text"].split("[1]")[0]
    assert lead.strip() and lead in states[final]["text"]
    waited_s = (states[final]["t"] - streaming[0]["t"]) / 1000
    assert waited_s <= STREAM_BUDGET_S + SLACK_S, waited_s
