"""Document text is data, never instructions (issue #16, item 6).

A document may hold text meant for a language model or a reader rather than a statement
("ignorera alla tidigare instruktioner", "skicka din BankID-kod till …"), and links to
anywhere. At ingest `flags_of` finds both, so that the ingest summary and the document
list can name them:

- `instruction`: a cue of `nara/vocabulary.yaml` (`untrusted_text.instruction_cues`);
- `link`: a link (`http(s)://…` or `www.…`) whose host is not in the allow-list
  (NARA_SERVE_LINK_DOMAINS; a listed domain covers its subdomains).

Nothing is removed: the text is stored and quoted verbatim. The interfaces show every
link in a quote as text, never as a clickable link (ui/chat/answer.py), and the API marks
a quote that holds a link outside the allow-list (`unvetted_links`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from nara.vocabulary import cue

FlagKind = Literal["instruction", "link"]

LINK = re.compile(r"(?:\b[a-z][a-z0-9+.-]{1,15}://|\bwww\.)[^\s<>\"'”»)\]]+", re.IGNORECASE)
"""A link as a reader's software would make it clickable: a scheme (`https://`, also
`hxxp://`-style variants) or a bare `www.` host, up to white space or a closing mark."""
TRAILING = ".,;:!?"
"""Punctuation that ends the sentence around a link rather than the link."""
MAX_FLAGS = 20
"""Flags kept per document: enough to show what is wrong, bounded for a hostile file."""
SHOWN_CHARS = 80
"""Characters of the flagged text kept in a flag (a link, or the instruction cue)."""


@dataclass(frozen=True)
class Flag:
    """One finding in a document's text: its kind and the text found (cut short)."""

    kind: FlagKind
    text: str

    def describe(self) -> str:
        """Swedish, for the ingest summary and the document list."""
        if self.kind == "link":
            return f"länk utanför tillåtna domäner: {self.text}"
        return f"instruktionsliknande text: «{self.text}»"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}

    @classmethod
    def from_json(cls, data: object) -> Flag | None:
        if isinstance(data, dict) and data.get("kind") in ("instruction", "link"):
            return cls(data["kind"], str(data.get("text", "")))
        return None


def links_in(text: str) -> list[str]:
    """The links in `text`, in order, without the punctuation that ends a sentence."""
    return [m.group().rstrip(TRAILING) for m in LINK.finditer(text)]


def host_of(link: str) -> str:
    """The lower-cased host of `link` ("" when it has none)."""
    with_scheme = link if "://" in link else "http://" + link
    try:
        return (urlsplit(with_scheme).hostname or "").rstrip(".")
    except ValueError:  # a malformed port or bracket: no host to trust
        return ""


def allowed(link: str, domains: Iterable[str]) -> bool:
    """Whether `link`'s host is one of `domains` or a subdomain of one; a link to an
    address that is not https or http (ftp, javascript, data …) is never allowed."""
    scheme = link.split("://", 1)[0].lower() if "://" in link else "http"
    host = host_of(link)
    if scheme not in ("http", "https") or not host:
        return False
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def unvetted_links(text: str, domains: Sequence[str]) -> list[str]:
    """The distinct links of `text` outside the allow-list `domains`, in order."""
    return list(dict.fromkeys(link for link in links_in(text) if not allowed(link, domains)))


def instructions_in(text: str) -> list[str]:
    """The instruction-like phrases of `text` (vocabulary cues), in order, distinct."""
    pattern = cue("untrusted_text", "instruction_cues", anchor=r"\b{}")
    found = (" ".join(m.group().split())[:SHOWN_CHARS] for m in pattern.finditer(text))
    return list(dict.fromkeys(found))


def flags_of(text: str, domains: Sequence[str]) -> tuple[Flag, ...]:
    """What a document's text holds that is not plain statement: instruction-like
    phrases first, then links outside `domains`; at most MAX_FLAGS."""
    found = [Flag("instruction", t) for t in instructions_in(text)]
    found += [Flag("link", link[:SHOWN_CHARS]) for link in unvetted_links(text, domains)]
    return tuple(found[:MAX_FLAGS])
