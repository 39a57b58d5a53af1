"""English → Swedish domain glossary, so that questions asked in English find Swedish text.

Keyword search cannot match "responsible" with "ansvarar"; the glossary adds the Swedish
words to an English query before it is analysed. Multi-word keys are matched first.
"""

from __future__ import annotations

import re

EN_SV: dict[str, str] = {
    "close care": "nära vård",
    "good and close care": "god och nära vård",
    "care": "vård",
    "health care": "hälso- och sjukvård",
    "healthcare": "hälso- och sjukvård",
    "social care": "omsorg socialtjänst",
    "elderly care": "äldreomsorg",
    "home care": "hemsjukvård hemtjänst",
    "home health care": "hemsjukvård",
    "primary care": "primärvård",
    "responsible": "ansvarar ansvarig ansvar",
    "responsibility": "ansvar",
    "in charge": "ansvarar leder",
    "leads": "leder ledning",
    "lead": "leda ledning",
    "role": "roll roller",
    "roles": "roller ansvar",
    "priority": "prioriterat prioriterade prioritering",
    "priorities": "prioriterade prioriteringar",
    "prioritised": "prioriterade prioriterat",
    "prioritized": "prioriterade prioriterat",
    "target group": "målgrupp",
    "target groups": "målgrupper",
    "children": "barn",
    "young people": "unga",
    "youth": "unga",
    "elderly": "äldre",
    "roadmap": "färdplan",
    "action plan": "handlingsplan",
    "pre-study": "förstudie",
    "prestudy": "förstudie",
    "feasibility study": "förstudie",
    "agreement": "överenskommelse avtal",
    "final report": "slutrapport",
    "strategy": "strategi",
    "routine": "rutin",
    "valid": "gäller",
    "validity": "gäller",
    "expire": "gäller till och med",
    "adopted": "antagen antogs",
    "adopt": "antas antagen",
    "approved": "godkänd godkänns",
    "approve": "godkänns godkänd",
    "decided": "beslutade beslut",
    "report": "rapportera återrapport",
    "reporting": "återrapport rapportera",
    "follow-up": "uppföljning",
    "follow up": "uppföljning följa upp",
    "monitoring": "uppföljning",
    "evaluation": "utvärdering följeutvärdering",
    "steering group": "styrgrupp",
    "steering committee": "styrgrupp",
    "management": "ledning",
    "system management": "systemledning",
    "system leadership": "systemledning",
    "communication": "kommunikation",
    "communications": "kommunikation kommunikatör",
    "communication plan": "kommunikationsplan",
    "stakeholder map": "intressentkarta",
    "stakeholders": "intressenter intressentkarta",
    "process leader": "processledare",
    "timeline": "tidsplan tidslinje",
    "schedule": "tidsplan",
    "pilot": "pilot piloten",
    "medical technology": "medicinteknisk",
    "equipment": "utrustning",
    "digital": "digital digitala digitalisering",
    "digitalisation": "digitalisering",
    "digitalization": "digitalisering",
    "documentation": "dokumentation",
    "competence": "kompetens",
    "training": "utbildning kompetenshöjande",
    "skills": "kompetens",
    "staffing": "bemanning bemanningslösningar",
    "self-care": "egenvård",
    "self care": "egenvård",
    "development areas": "utvecklingsområden",
    "development": "utveckling",
    "municipality": "kommun",
    "municipalities": "kommuner",
    "region": "region",
    "county": "län",
    "goal": "mål målbild",
    "goals": "mål delmål",
    "vision": "målbild vision",
    "principles": "principer",
    "support structure": "stödstruktur",
    "cooperation": "samverkan samarbete",
    "collaboration": "samverkan samarbete",
    "meetings": "möten",
    "meeting": "möte",
    "how often": "gånger per år",
    "twice a year": "två gånger per år",
    "when": "när datum",
    "members": "består av",
    "consists": "består",
    "budget": "budget",
    "tools": "verktyg",
    "statistics": "statistik",
    "more material": "webbplats verktyg",
}

_KEYS = sorted(EN_SV, key=len, reverse=True)
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(k) for k in _KEYS) + r")\b", re.IGNORECASE)
_ENGLISH_HINTS = re.compile(
    r"\b(the|what|who|which|how|is|are|does|do|when|for|of|and|in)\b", re.IGNORECASE
)


def looks_english(text: str) -> bool:
    return len(_ENGLISH_HINTS.findall(text)) >= 2


def expand_query(text: str) -> str:
    """The query plus Swedish equivalents of the English domain terms in it."""
    if not looks_english(text):
        return text
    extra = [EN_SV[m.group(1).lower()] for m in _PATTERN.finditer(text)]
    return f"{text} {' '.join(extra)}" if extra else text
