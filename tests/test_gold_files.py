"""Every gold file in evals/gold/ is well-formed against the documents it cites.

The sample questions (questions.yaml) cite the documents in corpus/; the extra suite
(extra.yaml, issue #11) cites the 25 Markdown documents of corpus-extra, which live
outside the repository (the repo is cloned next to `shared/`). A document id is the file
name without its extension, looked up in both folders.

Checked for every file: ids unique across all files, kinds valid, every evidence quote
stands exactly in its document (evals.retrieval.quote_spans finds it with str.find),
every fact of an in-scope question has an alternative standing in one of its evidence
documents (normalised: lower-case, whitespace collapsed, soft hyphens removed; the other
alternatives may be forms an answer uses, e.g. "March 2024"), and out-of-scope questions
have no facts and no evidence. The extra suite was written with no answer-form
alternatives, so there every alternative must stand in the text.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPUS, ROOT
from tests.test_gold_and_retrieval import KINDS

GOLD_DIR = ROOT / "evals" / "gold"
# CI clones the repository next to `shared/`; NARA_EXTRA_CORPUS points elsewhere.
EXTRA_CORPUS = Path(
    os.environ.get("NARA_EXTRA_CORPUS", str(ROOT.parent / "shared" / "corpus-extra"))
)
EXTRA_FILE = "extra.yaml"
# Issue #11: the extra suite holds at least 150 questions, 60 of them out of scope.
MIN_EXTRA_QUESTIONS = 150
MIN_EXTRA_OUT_OF_SCOPE = 60
OUT_OF_SCOPE = "out_of_scope"


def normalise(text: str) -> str:
    """Lower-case, whitespace runs collapsed to one space, soft hyphens removed."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip().lower()


def load_documents(*folders: Path) -> dict[str, str]:
    """Document id (file name without extension) -> text, for the .txt and .md files."""
    docs: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix in {".txt", ".md"} and path.name != "README.md":
                docs[path.stem] = path.read_text(encoding="utf-8")
    return docs


def load_questions(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    questions: list[dict[str, Any]] = data["questions"]
    return questions


def question_problems(
    q: dict[str, Any], docs: dict[str, str], every_alternative: bool
) -> list[str]:
    """What is wrong with one question; an empty list when nothing is."""
    qid = q.get("id", "?")
    problems = []
    if q.get("kind") not in KINDS:
        problems.append(f"{qid}: unknown kind {q.get('kind')!r}")
    evidence = q.get("evidence") or []
    facts = q.get("facts") or []
    if q.get("kind") == OUT_OF_SCOPE:
        if facts or evidence:
            problems.append(f"{qid}: an out-of-scope question has facts or evidence")
        return problems
    if not evidence or not facts:
        problems.append(f"{qid}: an in-scope question needs evidence and facts")
    texts = []
    for ev in evidence:
        text = docs.get(ev["document"])
        if text is None:
            problems.append(f"{qid}: no document {ev['document']!r}")
            continue
        texts.append(normalise(text))
        if ev["quote"] not in text:
            problems.append(f"{qid}: quote not in {ev['document']}: {ev['quote']!r}")
    haystack = " \n ".join(texts)
    for group in facts:
        found = [normalise(alt) in haystack for alt in group]
        if not any(found) or (every_alternative and not all(found)):
            missing = [alt for alt, ok in zip(group, found, strict=True) if not ok]
            problems.append(f"{qid}: fact not in its documents: {missing}")
    return problems


def file_problems(paths: list[Path], docs: dict[str, str]) -> list[str]:
    """Problems of a set of gold files taken together (ids must be unique across them)."""
    problems = []
    ids: Counter[str] = Counter()
    for path in paths:
        for q in load_questions(path):
            ids[q.get("id", "?")] += 1
            problems += question_problems(q, docs, every_alternative=path.name == EXTRA_FILE)
    problems += [f"id {qid!r} used {n} times" for qid, n in ids.items() if n > 1]
    return problems


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    if not EXTRA_CORPUS.is_dir():
        pytest.fail(
            f"corpus-extra not found at {EXTRA_CORPUS}: clone the repository next to "
            "shared/ or set NARA_EXTRA_CORPUS to the folder"
        )
    return load_documents(CORPUS, EXTRA_CORPUS)


def test_every_gold_file_stands_on_its_documents(documents: dict[str, str]) -> None:
    # Question files hold a `questions` list; metadata.yaml and registers.yaml are other
    # hand-checked lists, checked by their own tests.
    paths = [
        p
        for p in sorted(GOLD_DIR.glob("*.yaml"))
        if "questions" in (yaml.safe_load(p.read_text(encoding="utf-8")) or {})
    ]
    assert {p.name for p in paths} >= {"questions.yaml", EXTRA_FILE}
    assert file_problems(paths, documents) == []


def test_the_extra_suite_has_its_size_and_mix(documents: dict[str, str]) -> None:
    questions = load_questions(GOLD_DIR / EXTRA_FILE)
    kinds = Counter(q["kind"] for q in questions)
    assert len(questions) >= MIN_EXTRA_QUESTIONS
    assert kinds[OUT_OF_SCOPE] >= MIN_EXTRA_OUT_OF_SCOPE
    cited = {ev["document"] for q in questions for ev in q.get("evidence") or []}
    extra_ids = {p.stem for p in EXTRA_CORPUS.glob("*.md") if p.name != "README.md"}
    assert extra_ids and extra_ids <= cited, sorted(extra_ids - cited)


def test_the_check_finds_each_kind_of_defect(tmp_path: Path) -> None:
    docs = {"doc": "Arbetsordningen ska förnyas en gång om året,\nsenast den 31 mars."}
    good = {
        "id": "a",
        "question": "?",
        "kind": "clause",
        "evidence": [{"document": "doc", "quote": "förnyas en gång om året"}],
        "facts": [["EN GÅNG OM ÅRET, SENAST", "annually"]],
    }
    bad = [
        {**good, "id": "a"},  # the same id again
        {**good, "id": "b", "kind": "guess"},
        {**good, "id": "c", "evidence": [{"document": "doc", "quote": "två gånger"}]},
        {**good, "id": "d", "facts": [["30 april"]]},
        {**good, "id": "e", "evidence": [{"document": "other", "quote": "x"}]},
        {"id": "f", "question": "?", "kind": OUT_OF_SCOPE, "facts": [["x"]]},
    ]
    path = tmp_path / "ours.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "questions": [good]}), encoding="utf-8")
    assert file_problems([path], docs) == []
    strict = tmp_path / EXTRA_FILE
    strict.write_text(yaml.safe_dump({"version": 1, "questions": [good]}), encoding="utf-8")
    assert file_problems([strict], docs) == ["a: fact not in its documents: ['annually']"]
    path.write_text(yaml.safe_dump({"version": 1, "questions": [good, *bad]}), encoding="utf-8")
    found = file_problems([path], docs)
    for expected in (
        "unknown kind 'guess'",
        "c: quote not in doc",
        "d: fact not in",
        "no document 'other'",
        "f: an out-of-scope",
        "id 'a' used 2 times",
    ):
        assert any(expected in p for p in found), (expected, found)
    assert len(found) == 7  # e also lacks its fact, having no document
