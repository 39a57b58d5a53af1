"""Organisations a document is by or between, recognised from the declared list in
`nara/vocabulary.yaml` (regions, national bodies, with aliases) and the generic forms
"<Name> kommun", "<Name> stad" and "Kommunförbundet <Name>".

Where they are looked for: a document states who it is by in its opening (title,
byline, the first paragraph); a body that merely mentions Socialstyrelsen or a
neighbouring municipality does not make them its authors. Regions are the exception:
a region named anywhere is kept (a regional document names its region in the body
as often as in the byline), and it also gives the document's `region`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from nara.vocabulary import vocabulary

NAME = r"[A-ZÅÄÖ][a-zåäöé]+(?:-[A-ZÅÄÖ][a-zåäöé]+)?"
"""A capitalised place name, "Dorotea", "Upplands-Bro"."""


@dataclass(frozen=True)
class Known:
    name: str
    pattern: re.Pattern[str]
    region: str = ""


def _alternatives(forms: list[str]) -> re.Pattern[str]:
    spelled = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\wåäö])(?:{spelled})(?![\wåäö])")


@lru_cache(maxsize=1)
def known_organisations() -> tuple[Known, ...]:
    """The declared regions and national bodies, each with a pattern for all its names."""
    section = vocabulary()["organisations"]
    out = []
    for entry in section["regions"]:
        forms = [entry["name"], *entry.get("aliases", [])]
        out.append(Known(entry["name"], _alternatives(forms), entry["region"]))
    for entry in section["national"]:
        forms = [entry["name"], *entry.get("aliases", [])]
        out.append(Known(entry["name"], _alternatives(forms)))
    return tuple(out)


def canonical(name: str) -> str:
    """The stored form of a name: "Sveriges Kommuner och Regioner" → "SKR"; other
    names unchanged."""
    for known in known_organisations():
        if known.pattern.fullmatch(name.strip()):
            return known.name
    return name


@lru_cache(maxsize=1)
def _generic() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    section = vocabulary()["organisations"]
    municipal = "|".join(section["municipality_words"])
    association = "|".join(section["association_words"])
    return (
        re.compile(rf"\b({NAME}) (?:{municipal})\b"),
        re.compile(rf"\b([A-ZÅÄÖ]{{3,}}) (?:{municipal.upper()})\b"),
        re.compile(rf"\b(?:{association}) ({NAME})\b"),
    )


ENUMERATION = re.compile(rf"mellan ((?:{NAME}, )+)(?:och )?({NAME}) kommun")
""""mellan A, B, … och C kommun": one "kommun" for all the names listed."""
GENERIC_REGION = re.compile(rf"\bRegion ({NAME})")


def municipality(name: str, word: str = "kommun") -> str:
    """ "Härnösand" → "Härnösands kommun", "Ånge" → "Ånge kommun": the genitive -s of
    Swedish names, which names ending in a vowel or s/x/z do not take."""
    if name.endswith("s") or name[-1].lower() in "aeiouyåäöxz":
        return f"{name} {word}"
    return f"{name}s {word}"


def _not_name(word: str) -> bool:
    return word.lower() in set(vocabulary()["organisations"]["not_names"])


def _local(text: str) -> list[tuple[int, str]]:
    """Municipalities and associations named in `text`, with their positions."""
    kommun, upper, association = _generic()
    found = [(m.start(), m.group(0)) for m in kommun.finditer(text) if not _not_name(m.group(1))]
    found += [
        (m.start(), m.group(1).capitalize() + " kommun")
        for m in upper.finditer(text)
        if not _not_name(m.group(1))
    ]
    found += [(m.start(), m.group(0)) for m in association.finditer(text)]
    for m in ENUMERATION.finditer(text):
        found += [(m.start(), municipality(n.strip())) for n in m.group(1).split(",") if n.strip()]
        found.append((m.start(2), municipality(m.group(2))))
    return found


def _regions(text: str) -> Counter[str]:
    """How often each region is named (declared names first; "Region X" otherwise)."""
    counts: Counter[str] = Counter()
    covered: list[tuple[int, int]] = []
    for known in known_organisations():
        if known.region:
            for m in known.pattern.finditer(text):
                counts[known.name] += 1
                covered.append(m.span())
    for m in GENERIC_REGION.finditer(text):
        if not any(a <= m.start() < b for a, b in covered):
            counts[f"Region {m.group(1).removesuffix('s')}"] += 1
    return counts


def region_of(name: str) -> str:
    for known in known_organisations():
        if known.name == name and known.region:
            return known.region
    return name.removeprefix("Region ").strip()


def infer_organisations(text: str, opening: str) -> tuple[list[str], str]:
    """(organisations, region): the bodies named in `opening` in order of appearance,
    then the regions named in the rest of `text`, most named first. The region is the
    most named region, else the county ("… i X län")."""
    found = _local(opening)
    for known in known_organisations():
        found += [(m.start(), known.name) for m in known.pattern.finditer(opening)]
    found += [(m.start(), f"Region {m.group(1)}") for m in GENERIC_REGION.finditer(opening)]
    orgs: list[str] = []
    for _, name in sorted(found):
        name = canonical(name)
        if name not in orgs and not _inside_other(name, found):
            orgs.append(name)
    regions = _regions(text)
    for name, _ in regions.most_common():
        if name not in orgs:
            orgs.append(name)
    if regions:
        return orgs, region_of(regions.most_common(1)[0][0])
    county = re.search(r"\b([A-ZÅÄÖ][a-zåäö]+?)s? län\b", text)
    return orgs, county.group(1) if county else ""


def _inside_other(name: str, found: list[tuple[int, str]]) -> bool:
    """ "Region Jämtland" when "Region Jämtland Härjedalen" was found too."""
    return any(other != name and other.startswith(name + " ") for _, other in found)
