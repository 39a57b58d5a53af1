"""The LLM answerer: a chat model writes the answer; every sentence is verified first.

The model (any OpenAI-compatible server, or Azure OpenAI, through LangChain) gets a
Swedish system prompt and the retrieved passages, numbered and wrapped as data, and must
cite each sentence with [n]. Its output streams through a verifier that cuts it into
sentences and lets a sentence through only when

- it cites at least one passage that exists (markers naming no passage are removed),
- the passages it cites support it (`knowledge.support.is_supported`), and
- it does not swap who does what: "A ansvarar för B" where the passages say B for A
  (`assistant.roles.contradicts_roles`).

Surviving markers are renumbered to citations 1..m in order of first use. A citation's
quote is the evidence span of the cited passage that best supports the sentence: text
from the document at its offsets, never text from the model. Nothing the model writes
reaches the user unverified; a reply with no verifiable sentence becomes a refusal.

The parts: the prompt (`assistant.llm_prompt`), the sentence splitter
(`assistant.llm_sentences`), the verifier (`assistant.llm_verify`) and the chat model with
its errors (`assistant.llm_client`); this module streams the answer through them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from assistant.answerers import Answerer, Evidence, register_answerer
from assistant.llm_client import chat_model, llm_error
from assistant.llm_prompt import TEXT, lang_of, messages_for, passages_of
from assistant.llm_sentences import SentenceSplitter, strip_thinking
from assistant.llm_verify import Verdict, Verifier, separator
from assistant.model import Answer, Delta, Reason, Status
from assistant.quotes import quoted_list
from assistant.refusal import closest_titles, refused_answer
from nara.errors import NaraError
from nara.settings import Settings

log = logging.getLogger(__name__)


class LLMAnswerer(Answerer):
    name = "llm"

    def __init__(self, settings: Settings, chat: BaseChatModel | None = None) -> None:
        self.settings = settings
        self.chat = chat if chat is not None else chat_model(settings)

    def _tokens(self, messages: list[BaseMessage]) -> Iterator[str]:
        try:
            for chunk in self.chat.stream(messages):
                text = str(chunk.text)
                if text:
                    yield text
        except NaraError:
            raise
        except Exception as exc:
            raise llm_error(exc, self.settings) from exc

    def stream(self, evidence: Evidence) -> Iterator[Delta | Answer]:
        passages = passages_of(evidence)
        verifier = Verifier(passages)
        splitter = SentenceSplitter()
        emitted: list[str] = []
        pending: list[str] = []
        tokens = strip_thinking(self._tokens(messages_for(evidence.question, passages)))
        for token in tokens:
            yield from _verified(splitter.feed(token), verifier, emitted, pending)
        yield from _verified(splitter.close(), verifier, emitted, pending)
        yield from self._final(evidence, verifier, emitted)

    def _final(
        self, evidence: Evidence, verifier: Verifier, parts: list[str]
    ) -> Iterator[Delta | Answer]:
        q = evidence.question
        words = TEXT[lang_of(q)]
        log.info(
            "llm answer: %s; %d invalid markers",
            ", ".join(f"{k.value} {v}" for k, v in verifier.counts.items()) or "empty",
            verifier.invalid_markers,
        )
        if not verifier.kept:
            yield from refuse(evidence, verifier)
            return
        if verifier.removed:
            n = verifier.removed
            note = "\n\n" + words["removed"].format(n=n, s=words["plural"] if n > 1 else "")
            parts.append(note)
            yield Delta(note)
        yield Answer(
            question=q.asked,
            answer="".join(parts),
            status=Status.ANSWERED,
            kind=q.kind.value,
            citations=tuple(verifier.citations),
            lang=q.lang,
            resolved_question=q.text,
        )


def _verified(
    sentences: Iterable[tuple[str, str]],
    verifier: Verifier,
    emitted: list[str],
    pending: list[str],
) -> Iterator[Delta]:
    """Deltas of the sentences that pass; `emitted` and `pending` (separators since the
    last kept sentence) carry the state between calls."""
    for sentence, sep in sentences:
        verdict, text = verifier.check(sentence)
        if verdict is Verdict.KEPT:
            piece = (separator(pending) if emitted else "") + text
            emitted.append(piece)
            pending.clear()
            yield Delta(piece)
        pending.append(sep)


def refuse(evidence: Evidence, verifier: Verifier) -> Iterator[Delta | Answer]:
    """No sentence survived: the model said it does not know, or nothing was supported."""
    q = evidence.question
    words = TEXT[lang_of(q)]
    dont_know = verifier.counts.get(Verdict.DONT_KNOW, 0) and not verifier.removed
    reason = Reason.NO_EVIDENCE if dont_know else Reason.UNSUPPORTED
    titles = closest_titles(evidence)
    text = words[reason.value]
    if titles:
        text += " " + words["closest"].format(titles=quoted_list(titles, lang_of(q)))
    yield Delta(text)
    yield refused_answer(evidence, reason, text, titles)


@register_answerer("llm")
def _llm(settings: Settings) -> Answerer:
    return LLMAnswerer(settings)
