"""The asks' term statistics come from the keyword index's words (issue #15: they were
computed by reading and analysing every readable chunk after every write, about 1.2 MB
a copy of the sample): they equal the statistics of the readable chunks' texts, for
every reader and after an update, and a write no longer makes an ask read every chunk."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from assistant.evidence import TermWeights
from assistant.gather import Gatherer
from knowledge.analysis import Analyzer
from knowledge.base import KnowledgeBase
from knowledge.keyword import KeywordIndex
from knowledge.query import analyse
from knowledge.store import StoredChunk
from knowledge.term_stats import ScopeStats
from tests.conftest import CORPUS, make_settings

EXTRA = (
    "# Fjällvård i Hjortronby\n\nHjortronsoppa serveras på vårdcentralen i Hjortronby. "
    "Fjällstugans vårdplanering följs upp varje kvartal av kommunen.\n"
)
MORE = 8
"""Small documents beside the sample's four: one more is then under a tenth of them."""


def reference(chunks: Sequence[StoredChunk]) -> TermWeights:
    """The statistics as they were computed: every chunk's text analysed."""
    return TermWeights(
        Analyzer(Analyzer.vocabulary_of(c.text for c in chunks)), [c.text for c in chunks]
    )


def derived(kb: KnowledgeBase, keys: Sequence[str]) -> TermWeights:
    scope = ScopeStats.of(kb.term_rows(keys))
    return TermWeights.counted(scope.analyzer, scope.n, scope.df)


def assert_same(got: TermWeights, want: TermWeights) -> None:
    assert got.n == want.n
    assert got.analyzer.vocabulary == want.analyzer.vocabulary
    assert set(got._df) == set(want._df)
    assert {t: got._df[t] for t in want._df} == dict(want._df)
    assert any(n > 1 for n in want._df.values())  # terms of several words and rows


@pytest.fixture
def kb(tmp_path: Path) -> KnowledgeBase:
    base = KnowledgeBase(make_settings(tmp_path / "store", embedder="hash"))
    assert base.ingest([CORPUS]).ok
    return base


def test_the_statistics_of_every_reader_scope_equal_those_of_its_texts(kb: KnowledgeBase) -> None:
    keys = sorted(d.key for d in kb.documents())
    for scope in (keys, keys[:2], keys[1:2]):
        assert_same(derived(kb, scope), reference(kb.store.chunks(scope)))


def test_after_a_write_the_statistics_follow_without_reading_every_chunk(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = tmp_path / "many"  # enough versions that one more updates the index
    many.mkdir()
    for i in range(MORE):
        (many / f"plan-{i}.md").write_text(f"# Plan {i}\n\nUppföljning sker år {2020 + i}.\n")
    assert kb.ingest([many]).ok
    gatherer = Gatherer(kb)
    gatherer.gather(analyse("Vem ansvarar för kommunikationsplanen?"))
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "hjortronby.md").write_text(EXTRA, encoding="utf-8")
    assert kb.ingest([folder]).ok

    read: list[str] = []
    chunks = kb.store.chunks

    def reading(keys: Sequence[str]) -> list[StoredChunk]:
        read.extend(keys)
        return chunks(keys)

    monkeypatch.setattr(kb.store, "chunks", reading)
    evidence = gatherer.gather(analyse("Hur ofta följs fjällstugans vårdplanering upp?"))
    assert kb.keyword.last_update[0] == "update"
    new = [d.key for d in kb.documents() if d.file.endswith("hjortronby.md")]
    assert read == new  # the new version's chunks only, for the keyword index
    assert evidence.results

    keys = sorted(d.key for d in kb.documents())
    weights = gatherer._stats(kb.documents()).weights
    assert_same(weights, reference(chunks(keys)))
    assert weights.known("hjortronsopp") or weights.knows_word("hjortronsoppa")


def test_a_saved_index_loads_its_words(kb: KnowledgeBase, tmp_path: Path) -> None:
    keys = sorted(d.key for d in kb.documents())
    kb.search("uppföljning")  # builds and saves the index
    copy = tmp_path / "kw-copy"
    shutil.copytree(kb.keyword.directory, copy)
    loaded = KeywordIndex(copy)
    loaded.ensure(keys, lambda _: pytest.fail("a loaded index reads no chunk"))
    scope = ScopeStats.of(loaded.word_rows(set(keys)))
    assert_same(
        TermWeights.counted(scope.analyzer, scope.n, scope.df), reference(kb.store.chunks(keys))
    )
