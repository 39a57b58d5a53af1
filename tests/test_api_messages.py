"""The API's messages over real HTTP are in the question's language, never mixed, and each
empty result has its own message: no documents at all, filters that admit none, a search
that found nothing that answers (issue #13). Hash embedder; the sample corpus."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.questions import TEXT as QUESTION_TEXT
from assistant.refusal import TEXT as REFUSAL_TEXT
from tests.conftest import CORPUS, make_settings
from tests.http_server import serve_app
from ui.app.services import build_services
from ui.server import create_app

KEY = "user-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}
LIMIT = 200
SWEDISH = {
    "no_documents": "Vem ansvarar för kommunikationsplanen?",
    "no_match": "Vem ansvarar för kommunikationsplanen?",
    "no_evidence": "Vilka öppettider har vårdcentralen i Sollefteå?",
}
ENGLISH = {
    "no_documents": "Who is responsible for the communication plan?",
    "no_match": "Who is responsible for the communication plan?",
    "no_evidence": "What are the opening hours of the health centre in Sollefteå?",
}
NO_SUCH_ORGANISATION = {"organisations": ["Nonexistent"]}


def _client(data_dir: Path, ingest: bool) -> Iterator[httpx.Client]:
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("NARA_")]:
            mp.delenv(key)
        settings = make_settings(
            data_dir, embedder="hash", api_keys=[KEY], max_question_chars=LIMIT
        )
    services = build_services(settings)
    if ingest:
        assert services.kb.ingest([CORPUS]).ok
    with (
        serve_app(create_app(settings, services)) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from _client(tmp_path_factory.mktemp("messages") / "store", ingest=True)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from _client(tmp_path_factory.mktemp("empty") / "store", ingest=False)


def _phrases(texts: dict[str, str]) -> list[str]:
    """The fixed words of each message (what stands around any {placeholder})."""
    return [p.strip() for t in texts.values() for p in re.split(r"\{\w+\}", t) if len(p) > 8]


def assert_only(lang: str, message: str) -> None:
    """`message` holds a fixed phrase of `lang` and none of the other language's (the
    quoted document titles are Swedish in both and are left out)."""
    other = "en" if lang == "sv" else "sv"
    unquoted = re.sub(r"[”“][^”]*”", "", message)
    assert any(p in unquoted for p in _phrases(REFUSAL_TEXT[lang])), message
    assert not any(p in unquoted for p in _phrases(REFUSAL_TEXT[other])), message
    assert not re.search(r"[åäöÅÄÖ]", unquoted) or lang == "sv", message


def ask(client: httpx.Client, question: str, **extra: object) -> dict[str, object]:
    response = client.post("/v1/ask", json={"question": question, **extra}, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize(("lang", "questions"), [("sv", SWEDISH), ("en", ENGLISH)])
def test_each_empty_result_has_its_message_in_the_question_language(
    sample: httpx.Client, empty: httpx.Client, lang: str, questions: dict[str, str]
) -> None:
    cases = {
        "no_documents": ask(empty, questions["no_documents"]),
        "no_match": ask(sample, questions["no_match"], filters=NO_SUCH_ORGANISATION),
        "no_evidence": ask(sample, questions["no_evidence"]),
    }
    texts = REFUSAL_TEXT[lang]
    for reason, body in cases.items():
        assert body["reason"] == reason and body["refused"] is True, body
        assert body["lang"] == lang
        answer = str(body["answer"])
        assert_only(lang, answer)
        assert answer.startswith(texts[reason].split(".")[0]), (reason, answer)
    assert texts["no_documents"] not in str(cases["no_match"]["answer"])


@pytest.mark.parametrize(
    ("question", "lang"),
    [("Vem ansvarar för planen? " + "och " * 60, "sv"), ("Who is in charge? " + "and " * 60, "en")],
)
def test_question_errors_are_in_the_question_language(
    sample: httpx.Client, question: str, lang: str
) -> None:
    response = sample.post("/v1/ask", json={"question": question}, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    message, hint = QUESTION_TEXT[lang]["long"]
    assert body["error"] == message.format(n=len(question.strip()), limit=LIMIT)
    assert body["hint"] == hint

    history = [{"role": "user", "content": question}]
    short = "Vem leder piloten?" if lang == "sv" else "Who leads the pilot?"
    response = sample.post("/v1/ask", json={"question": short, "history": history}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["hint"] == QUESTION_TEXT[lang]["turn_long"][1]

    response = sample.post("/v1/search", json={"query": question}, headers=AUTH)
    assert response.status_code == 422, response.text
    assert response.json()["hint"] == QUESTION_TEXT[lang]["query_long"][1]


def test_an_empty_question_is_refused_in_swedish_only(sample: httpx.Client) -> None:
    response = sample.post("/v1/ask", json={"question": "   "}, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["error"], body["hint"]) == QUESTION_TEXT["sv"]["empty"]
    assert "(" not in body["error"]
