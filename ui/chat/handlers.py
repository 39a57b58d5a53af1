"""Event handlers of the staff chat (ui/chat/app.py): each turns the services' results into
component values. Rendering is in ui/chat/render.py, ui/chat/tables.py and ui/chat/answer.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

import gradio as gr

from assistant.model import Answer, Delta
from assistant.service import QuestionError, check_question, is_text
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.retrieval import SearchFilters
from nara.errors import NaraError, NotFoundError
from ui.app.audit_actions import answered
from ui.app.schemas import MAX_COMMENT_CHARS, MAX_HISTORY_TURNS
from ui.chat import render, tables
from ui.chat.access import admin_in_chat
from ui.chat.admin_handlers import AdminHandlers
from ui.chat.answer import statements_of, streaming_html
from ui.chat.guard import shown_text
from ui.chat.render import Exchange

log = logging.getLogger(__name__)

ALL = ""  # the value of "Alla …" in the register filters
MAX_EXCHANGES = MAX_HISTORY_TURNS // 2
"""Exchanges a chat session keeps (the oldest dropped first): as many turns as the API's
history takes."""


STREAM_STEP_S = 0.1
"""Least time between two streamed states of an answer: Gradio sends every yield, and
the browser paints a state only if it lasts a frame or more (17 ms at 60 Hz). At 60 ms
the browser test saw every state on a quiet machine but not at load 10 on 2 cores
(the states ran together); 100 ms is a few frames even then, and a reader sees each
statement arrive."""
STREAM_BUDGET_S = 0.5
"""Most the pacing adds to a whole answer (the lead line is never delayed): the steps
after the lead share it when there are many."""


def streamed(events: Iterable[Delta | Answer]) -> Iterator[str | Answer]:
    """The chat's states of an answer as it arrives: HTML, each showing one more
    statement (the lead line first), then the final `Answer` itself. An answerer that
    writes as it goes (an LLM) is shown statement by statement as it writes, at most one
    state per `STREAM_STEP_S`; an answer that arrives at once (the extractive answerer)
    is revealed one statement at a time, `STREAM_STEP_S` apart but within
    `STREAM_BUDGET_S` in all."""
    text, shown, last = "", 0, 0.0
    for event in events:
        if isinstance(event, Delta):
            text += event.text
            count = len(statements_of(text))
            if count > shown and time.monotonic() - last >= STREAM_STEP_S:
                shown, last = count, time.monotonic()
                yield streaming_html(text, count=count)
            continue
        statements = len(statements_of(event.answer))
        if statements > 1:
            step = min(STREAM_STEP_S, STREAM_BUDGET_S / statements)
            for count in range(max(1, shown + 1), statements + 1):
                time.sleep(max(0.0, last + step - time.monotonic()))
                last = time.monotonic()
                yield streaming_html(event.answer, event.citations, count)
            time.sleep(max(0.0, last + step - time.monotonic()))
        yield event


class Handlers(AdminHandlers):
    """Event handlers; each turns the services' results into component values (the
    administration's are in ui/chat/admin_handlers.py)."""

    def respond(
        self,
        question: str,
        exchanges: list[Exchange] | None,
        organisations: list[str] | None,
        doc_types: list[str] | None,
        request: gr.Request | None = None,
    ) -> Iterator[tuple[list[dict[str, str]], list[Exchange], str, Any]]:
        """Stream the answer to `question`: the chat grows as the text arrives; the sources
        are added when the answer is complete. "Skicka" is disabled meanwhile. A question
        that cannot be asked (empty, over NARA_MAX_QUESTION_CHARS, not text) is answered
        with a Swedish message at once, shown cut to the limit; the session keeps at most
        `MAX_EXCHANGES` exchanges."""
        done = list(exchanges or [])[-(MAX_EXCHANGES - 1) :]
        question = question or ""
        limit = self.services.settings.max_question_chars
        if refused := self._too_many(request):
            done = [*done, render.error_exchange(shown_text(question, limit), refused)]
            yield render.chat_messages(done), done, "", gr.update(interactive=True)
            return
        try:
            check_question(question, limit)
        except QuestionError as error:
            message = render.question_error_message(question, limit, error)
            done = [*done, render.error_exchange(shown_text(question, limit), message)]
            yield render.chat_messages(done), done, "", gr.update(interactive=True)
            return
        busy = gr.update(interactive=False)
        yield render.chat_messages(done, (question, render.SEARCHING)), done, "", busy
        filters = SearchFilters(
            organisations=tuple(organisations or ()), doc_types=tuple(doc_types or ())
        )
        try:
            with self.services.audit.action("chat", self.actor(request), "question", question) as e:
                events = self.services.assistant.stream(
                    question, render.history_turns(done), filters, self.reader(request)
                )
                final = None
                for shown in streamed(events):
                    if isinstance(shown, Answer):
                        final = shown
                    else:
                        yield render.chat_messages(done, (question, shown)), done, "", busy
                if final is None:
                    raise RuntimeError("the assistant gave no final answer")
                answered(e, final)
            texts = self._texts(final, request)
            exchange = render.exchange_of(question, final, texts, len(done))
        except QuestionError as error:  # the history or the follow-up made standalone
            exchange = render.error_exchange(
                question, render.question_error_message(question, limit, error)
            )
        except Exception:
            log.exception("the chat could not answer a question")
            exchange = render.error_exchange(question, render.GENERIC_ERROR)
        done = [*done, exchange]
        yield render.chat_messages(done), done, "", gr.update(interactive=True)

    def _texts(self, answer: Answer, request: Any) -> dict[str, str | None]:
        texts: dict[str, str | None] = {}
        for citation in answer.citations:
            doc_id = citation.source.document_id
            if doc_id not in texts:
                texts[doc_id] = self._document_text(doc_id, request)
        return texts

    def _document_text(self, doc_id: str, request: Any = None) -> str | None:
        """The text of a document the user of `request` may read (None for any other;
        without a request, a document open to all)."""
        if doc_id not in self._titles(request):
            return None
        try:
            return self.kb.document_text(doc_id)
        except NaraError:
            return None

    @staticmethod
    def example_text(event: gr.SelectData) -> str:
        value = event.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)

    @staticmethod
    def clear() -> tuple[list[Any], list[Exchange], str, str]:
        return [], [], "", ""

    def feedback(
        self,
        exchanges: list[Exchange] | None,
        comment: str,
        event: gr.LikeData,
        request: gr.Request | None = None,
    ) -> tuple[str, Any]:
        """Store a thumbs up or down on an answer, with the comment box's text."""
        if refused := self._too_many(request):
            return refused, gr.update()
        if event.liked is True or event.liked == "Like":
            rating = "up"
        elif event.liked is False or event.liked == "Dislike":
            rating = "down"
        else:  # a thumb clicked off again (""): nothing to store
            return "", gr.update()
        done = exchanges or []
        index = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        position = int(index) // 2
        if not 0 <= position < len(done) or done[position].is_error:
            return "Omdömet kunde inte kopplas till ett svar.", gr.update()
        exchange = done[position]
        text = (comment or "").strip()
        if len(text) > MAX_COMMENT_CHARS or not is_text(text):
            return (
                f"Kommentaren kunde inte sparas: den får vara högst {MAX_COMMENT_CHARS} tecken "
                f"vanlig text (den är {len(text)}). Korta den och klicka på tummen igen.",
                gr.update(),
            )
        try:
            self.services.feedback.add(
                rating=rating,
                question=exchange.question,
                answer=exchange.answer,
                citations=list(exchange.citations),
                comment=text,
                source="chat",
            )
        except Exception:
            log.exception("feedback could not be stored")
            return "Omdömet kunde inte sparas. Försök igen om en stund.", gr.update()
        thumb = "tummen upp" if rating == "up" else "tummen ner"
        return f"Tack! Ditt omdöme ({thumb}) är sparat.", ""

    # registers
    def registers(
        self, document: str | None, year: str | int | None, request: gr.Request | None = None
    ) -> tuple[Any, Any, list[ResponsibilityEntry], list[PriorityEntry], str, str]:
        doc = document or None
        chosen = int(year) if year not in (None, ALL) else None
        access = self.reader(request)
        try:
            duties = self.services.assistant.responsibilities(doc, chosen, access)
            priorities = self.services.assistant.priorities(doc, chosen, access)
        except NotFoundError:  # removed since the list was loaded, or not readable
            duties, priorities = [], []
        titles = self._titles(request)
        return (
            {
                "data": tables.responsibility_rows(duties, titles),
                "headers": tables.RESPONSIBILITY_HEADERS,
            },
            {"data": tables.priority_rows(priorities, titles), "headers": tables.PRIORITY_HEADERS},
            duties,
            priorities,
            "",
            "",
        )

    def register_source(
        self,
        entries: list[ResponsibilityEntry | PriorityEntry] | None,
        event: gr.SelectData,
        request: gr.Request | None = None,
    ) -> str:
        row = event.row_value or []
        try:
            entry = (entries or [])[int(row[0]) - 1]
        except (IndexError, TypeError, ValueError):
            return ""
        titles = self._titles(request)
        if entry.document_id not in titles:
            return ""
        text = self._document_text(entry.document_id, request)
        return tables.register_source_html(entry, titles[entry.document_id], text)

    def _titles(self, request: Any) -> dict[str, str]:
        """The titles of the documents the user of `request` may read, by id."""
        return {d.doc_id: d.title for d in self.kb.documents(self.reader(request))}

    # documents
    def catalogue(self, request: gr.Request | None = None) -> list[Any]:
        """Values of `_catalogue_outputs`, from the documents stored now that the user
        may read."""
        docs = self.kb.documents(self.reader(request))
        duty_table, priority_table, duties, priorities, _, _ = self.registers(ALL, ALL, request)
        years = tables.year_choices(docs, priorities)
        values: list[Any] = [
            gr.update(choices=tables.organisation_choices(docs)),
            gr.update(choices=tables.doc_type_choices(docs)),
            gr.update(
                choices=[("Alla dokument", ALL)] + [(d.title, d.doc_id) for d in docs], value=ALL
            ),
            gr.update(choices=[("Alla år", ALL)] + [(str(y), str(y)) for y in years], value=ALL),
            {"data": tables.document_rows(docs), "headers": tables.DOCUMENT_HEADERS},
            duty_table,
            priority_table,
            duties,
            priorities,
        ]
        if admin_in_chat(self.services.settings, self.services.keys):  # the admin section
            values.append(
                gr.update(choices=[(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs], value=None)
            )
            values.append(self.admin_panel_shown(request))
        return values
