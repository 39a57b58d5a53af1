"""The DEV gold files in users' own words (evals/gold/dev-sample.yaml on corpus/,
evals/gold/dev-extra.yaml on ../shared/corpus-extra/) are well-formed, honest and dev.

Checks, on the real files: every evidence quote and every fact alternative stands in its
document (normalised as the answer suite compares facts), ids are unique, prefixed and
used by no other gold file, kinds are valid, the mix of the brief holds (issue #11), and
every question lands in the dev part of its suite and none in the test part. The
dev-extra checks that read documents skip when corpus-extra is absent.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from evals.retrieval import Evidence, GoldQuestion, load_gold
from evals.split import GOLD_DIR, SUITES, load_suite
from tests import gold_checks as checks
from tests.conftest import CORPUS
from tests.test_gold_files import EXTRA_CORPUS

# (suite, file, id prefix, documents folder, their file pattern)
DEV_FILES = [
    ("sample", "dev-sample.yaml", "devs-", CORPUS, "*.txt"),
    ("extra", "dev-extra.yaml", "devx-", EXTRA_CORPUS, "[0-9]*.md"),
]
# The brief: about 80 questions a file, ~20 % out of scope, ~15 % English, ~8 % follow-ups
# (of 80: 16, 12 and 6), every document cited and every in-scope kind present.
DEV_MIX = checks.Mix(total=80, in_scope=60, out_of_scope=16, english=12, follow_ups=6)
each_file = pytest.mark.parametrize(
    "suite,file,prefix,folder,pattern", DEV_FILES, ids=[f[1] for f in DEV_FILES]
)


def _texts(folder: Path, pattern: str) -> dict[str, str]:
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: clone next to shared/ or set NARA_EXTRA_CORPUS")
    return checks.document_texts(folder, pattern)


@each_file
def test_ids_kinds_and_the_mix(
    suite: str, file: str, prefix: str, folder: Path, pattern: str
) -> None:
    questions = load_gold(GOLD_DIR / file)
    assert checks.id_problems(questions, prefix, checks.other_gold_ids(GOLD_DIR / file)) == []
    assert checks.kind_problems(questions) == []
    assert checks.mix_problems(questions, DEV_MIX, set(_texts(folder, pattern))) == []


@each_file
def test_every_quote_and_fact_alternative_stands_in_its_document(
    suite: str, file: str, prefix: str, folder: Path, pattern: str
) -> None:
    texts = _texts(folder, pattern)
    assert checks.text_problems(load_gold(GOLD_DIR / file), texts, every_alternative=True) == []


@each_file
def test_every_question_is_dev_and_none_test(
    suite: str, file: str, prefix: str, folder: Path, pattern: str
) -> None:
    ids = {q.id for q in load_gold(GOLD_DIR / file)}
    assert file in SUITES[suite].files and file in SUITES[suite].dev_locked
    assert ids <= {q.id for q in load_suite(suite, "dev")}
    assert not ids & {q.id for q in load_suite(suite, "test")}


def test_the_checks_find_each_kind_of_defect() -> None:
    texts = {"doc": "arbetsordningen ska förnyas en gång om året, senast den 31 mars."}
    quote = (Evidence("doc", "en gång om året"),)
    good = GoldQuestion("devs-a", "?", "clause", "sv", False, (), quote, (("31 mars",),))
    assert checks.text_problems([good], texts, every_alternative=True) == []
    wrong_quote = replace(good, evidence=(Evidence("doc", "två gånger"),))
    answer_form = replace(good, facts=(("31 mars", "March 31"),))
    assert len(checks.text_problems([wrong_quote, answer_form], texts, every_alternative=True)) == 2
    assert checks.text_problems([answer_form], texts, every_alternative=False) == []
    stray = replace(good, id="x-b", kind="out_of_scope")
    assert len(checks.kind_problems([stray])) == 1
    assert len(checks.id_problems([good, good, stray], "devs-", {"devs-a"})) == 3
    found = checks.mix_problems([good], replace(DEV_MIX, in_scope=1), {"doc", "other"})
    for expected in ("total: 1 < 80", "english: 0 < 12", "cites other", "kind fact"):
        assert any(expected in p for p in found), (expected, found)
