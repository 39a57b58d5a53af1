"""The chat's answer as it streams (ui/chat_handlers.streamed, ui/chat_answer.streaming_html):
the lead line first, then one more statement per state, then the final answer; paced so
that each state is painted, within a small budget. The browser side is in
tests/test_browser_stream.py."""

from __future__ import annotations

import re
import time

from assistant.model import Answer, Delta, Status
from tests.test_chat_answer import TABLE_DOC, cite
from tests.test_chat_render import QUOTE, TEXT
from ui.chat.handlers import STREAM_BUDGET_S, STREAM_STEP_S, streamed

OTHER = "Processledare"
LINES = [
    "Enligt ”Förstudie Dorotea” (avsnitt Kommunikation):\n",
    f"- ”{QUOTE}” [1]\n",
    f"- ”{OTHER}” [2]\n",
    "\n",
    "Enligt ”Handlingsplan” (avsnitt Kommunikation):\n",
    "- ”Budskap” [3]",
]
CITATIONS = (
    cite(1, "doro", "Förstudie Dorotea", TEXT, QUOTE),
    cite(2, "doro", "Förstudie Dorotea", TEXT, OTHER),
    cite(3, "plan", "Handlingsplan", TABLE_DOC, "Budskap"),
)
FINAL = Answer("Vem?", "".join(LINES), Status.ANSWERED, "fact", CITATIONS)


def cited(state: str) -> list[str]:
    return re.findall(r"\[(\d)\]", state)


def test_an_answer_arriving_at_once_is_revealed_statement_by_statement() -> None:
    start = time.monotonic()
    states = list(streamed([*(Delta(line) for line in LINES), FINAL]))
    elapsed = time.monotonic() - start
    assert states[-1] is FINAL
    shown = [s for s in states[:-1] if isinstance(s, str)]
    assert [cited(s) for s in shown] == [["1"], ["1", "2"], ["1", "2", "3"]]
    assert re.search(r'^<div class="nara-streaming"><p class="nara-lead">”', shown[0])
    assert "nara-group-title" not in shown[0]  # the titles come with the citations
    assert re.findall(r'nara-group-title">([^<]+)<', shown[-1]) == [
        "Förstudie Dorotea",
        "Handlingsplan",
    ]
    assert "nara-answer" not in "".join(shown) and "nara-source" not in "".join(shown)
    assert 2 * STREAM_STEP_S * 0.9 <= elapsed <= STREAM_BUDGET_S + 1.0


def test_an_answerer_that_writes_slowly_is_shown_as_it_writes() -> None:
    def slow() -> object:
        for line in LINES:
            time.sleep(STREAM_STEP_S * 1.5)
            yield Delta(line)
        yield FINAL

    states = list(streamed(slow()))  # type: ignore[arg-type]
    shown = [s for s in states[:-1] if isinstance(s, str)]
    assert [cited(s) for s in shown][:3] == [["1"], ["1", "2"], ["1", "2", "3"]]
    assert len(shown) == 3 and states[-1] is FINAL  # nothing left to reveal at the end


def test_a_refusal_is_shown_whole() -> None:
    refused = Answer("Vem?", "Det framgår inte av dokumenten.", Status.REFUSED, "fact")
    states = list(streamed([Delta(refused.answer), refused]))
    assert states == [refused]
