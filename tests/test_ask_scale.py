"""An ask's cost must not grow with the number of documents its question names (issue
#15: at the sample ×300 a question naming "Dorotea" named 300 copies, was searched once
per copy and took about a minute). Real store (embedded Chroma, hash embedder) holding
copies of the sample's Dorotea document, which a question names by its place."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.gather import MAX_COMPARED
from assistant.model import Kind
from assistant.service import Assistant
from evals.bench import make_scaled_corpus
from knowledge.base import KnowledgeBase
from knowledge.query import analyse, named_documents
from tests.conftest import CORPUS, make_settings

QUESTION = "Hur ofta träffas teamet för nivå 1 i Dorotea?"
PLACE_DOCUMENT = "000_05b96b91b6c43ee6.txt"
"""The sample document a question names by its place (Dorotea)."""


def store_of_copies(tmp_path: Path, copies: int) -> KnowledgeBase:
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(CORPUS / PLACE_DOCUMENT, source / PLACE_DOCUMENT)
    corpus = tmp_path / "copies"
    make_scaled_corpus(source, corpus, copies)
    kb = KnowledgeBase(make_settings(tmp_path / "store", embedder="hash"))
    report = kb.ingest([corpus])
    assert report.ok and len(report.added) == copies
    return kb


def counting(kb: KnowledgeBase) -> list[tuple[Any, ...]]:
    """Every `kb.search` call from now on, with its filters (the real search runs)."""
    calls: list[tuple[Any, ...]] = []
    search: Callable[..., Any] = kb.search

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return search(*args, **kwargs)

    kb.search = counted  # type: ignore[method-assign]
    return calls


@pytest.mark.parametrize("copies", [MAX_COMPARED, 2 * MAX_COMPARED + 1])
def test_an_ask_naming_many_documents_searches_a_bounded_number_of_times(
    tmp_path: Path, copies: int
) -> None:
    kb = store_of_copies(tmp_path, copies)
    named = named_documents(analyse(QUESTION), kb.documents())
    assert len(named) == copies  # every copy names Dorotea
    calls = counting(kb)
    evidence = Assistant(kb).evidence(QUESTION)

    assert evidence.question.kind is Kind.COMPARISON
    searched = [c[2].documents for c in calls if len(c) > 2 and c[2] is not None]
    one_by_one = [d for d in searched if len(d) == 1]
    compared = {r.document.doc_id for r in evidence.results}
    if copies <= MAX_COMPARED:  # as before: one search per named document
        assert len(calls) == copies and len(one_by_one) == copies
    else:  # one search over all of them picks MAX_COMPARED, then one search each
        assert len(calls) == MAX_COMPARED + 1
        assert sorted(searched[0]) == sorted(d.doc_id for d in named)
        assert len(one_by_one) == MAX_COMPARED
    assert compared <= {d.doc_id for d in named}
    assert len(compared) == min(copies, MAX_COMPARED)
    assert {d for (d,) in one_by_one} == compared


def test_the_documents_compared_are_those_the_search_ranks_first(tmp_path: Path) -> None:
    kb = store_of_copies(tmp_path, MAX_COMPARED + 2)
    calls = counting(kb)
    evidence = Assistant(kb).evidence(QUESTION)
    picked = [d for (d,) in (c[2].documents for c in calls[1:])]
    ranked = kb.search(QUESTION, MAX_COMPARED * 3, calls[0][2])
    order = list(dict.fromkeys(r.document.doc_id for r in ranked))
    assert picked == order[:MAX_COMPARED]
    assert {r.document.doc_id for r in evidence.results} == set(picked)
