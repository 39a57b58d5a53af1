"""The type of answer a question expects, and whether a text holds one.

Classic question answering checks the answer's type: "Vem är regiondirektör …?" is
answered by a person's name, "Vad kostar …?" by an amount, "Vilket telefonnummer …?"
by a number one can ring. A passage on the right topic without an answer of that type
does not answer the question: the documents do not say. That is the commonest way an
out-of-scope question about a known organisation and topic shows itself, so the refusal
gate reads it as a feature (`assistant.features`).

Each type has two sides: `expects(question)` names the types a question asks for (cue
words from `nara/vocabulary.yaml`, section `expected_answers`), and `holds(type, text,
question)` says whether a text holds an answer of that type that the question does not
already hold itself (the organisation a question names is not the person it asks for).
The retrieval prior in `knowledge.answer_types` is separate and unchanged.
"""

from __future__ import annotations

import re
from functools import cache

from knowledge.analysis import stem
from nara.vocabulary import vocabulary

PERSON = "person"
MONEY = "money"
PHONE = "phone"
HOURS = "hours"
PERCENT = "percent"
DAY = "day"
YEAR = "year"
DURATION = "duration"
CODE = "code"
NUMBER = "number"
TYPES = (PERSON, MONEY, PHONE, HOURS, PERCENT, DAY, YEAR, DURATION, CODE, NUMBER)

_UPPER = "A-ZÅÄÖÉ"
_LOWER = "a-zåäöéü"
_NAME = rf"[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?"
_NUMBER = r"\d[\d\s ]*(?:[.,]\d+)?"


def _alt(words: tuple[str, ...] | list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _section() -> dict[str, dict[str, list[str]]]:
    data = vocabulary()["expected_answers"]
    assert isinstance(data, dict)
    return data


@cache
def _question_patterns() -> dict[str, re.Pattern[str]]:
    """The question side: one pattern per type, built from the vocabulary's cues."""
    v = _section()
    return {t: re.compile(rf"(?:{'|'.join(v[t]['asks'])})", re.I) for t in TYPES}


@cache
def _text_patterns() -> dict[str, re.Pattern[str]]:
    """The text side: what an answer of each type looks like."""
    v = _section()
    units = {t: _alt(v[t].get("units", [])) for t in TYPES}
    months = _alt(v[DAY]["units"])
    return {
        PERSON: re.compile(
            rf"(?<![\w-]){_NAME}\s+(?:[{_UPPER}]\.\s+|(?:{_alt(v[PERSON]['particles'])})\s+)?"
            rf"(?={_NAME}\b)"
        ),
        MONEY: re.compile(
            rf"{_NUMBER}\s*(?:{units[MONEY]})\b|\b(?:{_alt(v[MONEY]['words'])})\b", re.I
        ),
        PHONE: re.compile(r"\b0\d{1,3}[-–\s]?\d{2,3}(?:[\s-]?\d{2}){1,3}\b|\b1\d{2,4}\b"),
        HOURS: re.compile(
            rf"\bkl\.?\s*\d|\b\d{{1,2}}[.:]\d{{2}}\b|\b\d{{1,2}}\s*[–-]\s*\d{{1,2}}\b"
            rf"|\b(?:{_alt(v[HOURS]['words'])})\b",
            re.I,
        ),
        PERCENT: re.compile(rf"\d\s*%|\b(?:{_alt(v[PERCENT]['words'])})\b", re.I),
        DAY: re.compile(
            rf"\b\d{{4}}-\d\d-\d\d\b|\b\d{{1,2}}\s+(?:{months})\b|\b(?:{months})\s+\d{{1,2}}\b",
            re.I,
        ),
        YEAR: re.compile(r"\b(?:19|20)\d\d\b"),
        DURATION: re.compile(
            rf"\b(?:{_NUMBER}|{_alt(v[DURATION]['numbers'])})\s*(?:{units[DURATION]})\b"
            rf"|\b(?:{_alt(v[DURATION]['words'])})\b",
            re.I,
        ),
        CODE: re.compile(r"\b\d{4}:\d{1,4}\b"),
        NUMBER: re.compile(rf"\b(?!(?:19|20)\d\d\b)\d+\b|\b(?:{_alt(v[NUMBER]['words'])})\b", re.I),
    }


def expects(question: str) -> tuple[str, ...]:
    """The answer types `question` asks for, in `TYPES` order (empty: none in
    particular). A question of responsibility ("Vem ansvarar för …") asks for a role or
    a body, not a person's name, and is left to the other types."""
    patterns = _question_patterns()
    return tuple(t for t in TYPES if patterns[t].search(question))


def holds(kind: str, text: str, question: str = "") -> bool:
    """Whether `text` holds an answer of type `kind` that is not already in `question`
    (a name or number the question itself gives answers nothing)."""
    asked = question.lower()
    if kind == PERSON:
        return any(name.lower() not in asked for name in people(text))
    for m in _text_patterns()[kind].finditer(text):
        if m.group(0).lower().strip() not in asked:
            return True
    return False


_COUNTED = re.compile(
    r"^\W*(?:\w+\s+){0,2}(?:hur\s+många|antal(?:et)?)\s+(?P<word>[\wåäö-]+)", re.I
)
"""Swedish only: an English question's noun is not the word a Swedish text counts by."""
NEAR_WORDS = 2
"""How many words may stand between a count and what it counts ("12 platser", "12
nya korttidsplatser", "platserna är 12")."""


def counted(question: str) -> str:
    """The stem of what a "hur många …" question counts ("korttidsplatser" →
    "korttidsplats"); empty when it counts nothing named, or only a measure ("gånger",
    the vocabulary's answer-type nouns)."""
    m = _COUNTED.search(question)
    if not m or m.group("word").lower() in vocabulary()["answer_type_nouns"]:
        return ""
    return stem(m.group("word").lower())


def count_unrelated(texts: list[str], question: str) -> bool:
    """A "hur många X" question none of whose texts has a number next to X: the count
    of something else, or none. Weaker than a missing type (the text may count X by
    another word: "invånare", "medborgare"), so it is a feature of its own."""
    thing = counted(question)
    return bool(thing) and not any(_number_near(t, thing) for t in texts)


def _number_near(text: str, thing: str) -> bool:
    """A number (not a year) within NEAR_WORDS words of a word with the stem `thing`, or
    of a compound ending in it ("vård*platser*")."""
    tokens = [t.lower() for t in _TOKEN.findall(text)]
    number = _text_patterns()[NUMBER]
    hits = [i for i, t in enumerate(tokens) if _same(t, thing)]
    return any(
        number.fullmatch(tokens[j])
        for i in hits
        for j in range(max(0, i - NEAR_WORDS - 1), min(len(tokens), i + NEAR_WORDS + 2))
        if j != i
    )


MIN_STEM = 4
MIN_HEAD = 3
"""A compound's head matched by its end: "styrgrupps*möt*" holds "möt" (3 letters); a
text word must share at least MIN_STEM letters ("normal" is no "mål")."""
_TOKEN = re.compile(r"[\wåäöÅÄÖ-]+")


def _same(token: str, thing: str) -> bool:
    """The same word, or a compound of it ("vård*platser*"): only stems of MIN_STEM
    letters or more are compared by their ends ("mål" is not the end of "normal")."""
    s = stem(token)
    if s == thing:
        return True
    if len(s) > len(thing):  # the text's compound of the question's word
        return len(thing) >= MIN_STEM and s.endswith(thing)
    return len(s) >= MIN_HEAD and thing.endswith(s)  # the question's compound ("…möten")


_SECOND = re.compile(rf"({_NAME})(?P<after>\s*[,(;]|\s*$)?", re.M)


@cache
def _not_names() -> frozenset[str]:
    return frozenset(w.lower() for w in _section()[PERSON]["not_names"])


def people(text: str) -> list[str]:
    """Capitalised pairs that read as a person's name: not an organisation or place word
    ("Region Uppsala"), and not a capitalised first word of a sentence followed by a
    name ("Enligt Socialstyrelsen ska …") unless the pair stands alone before a comma,
    a bracket or the line's end, as names do in lists ("Anna Andersson, samordnare")."""
    not_names = _not_names()
    out = []
    for m in _text_patterns()[PERSON].finditer(text):
        second = _SECOND.match(text, m.end())
        if second is None:
            continue
        first = m.group(0).split()[0]
        if {first.lower(), second.group(1).lower()} & not_names:
            continue
        before = text[: m.start()].rstrip()
        if _after_place_word(before):
            continue
        initial = not before or before[-1] in ".!?:•–-*\n" or text[m.start() - 1] == "\n"
        if initial and second.group("after") is None:
            continue
        out.append(f"{first} {second.group(1)}")
    return out


def _after_place_word(before: str) -> bool:
    """The pair follows a preposition of place ("i Södra Lappland", "från Norra Dalarna"):
    a place or an organisation, not a person (vocabulary `place_words`)."""
    last = before.rsplit(None, 1)[-1] if before else ""
    return last.lower() in _place_words()


@cache
def _place_words() -> frozenset[str]:
    return frozenset(w.lower() for w in vocabulary()["place_words"] if w[:1].islower())


def missing(types: tuple[str, ...], texts: list[str], question: str) -> bool:
    """Some type the question asks for is held by none of `texts`."""
    return any(not any(holds(t, x, question) for x in texts) for t in types)
