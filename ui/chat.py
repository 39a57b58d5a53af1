"""The staff chat: a Gradio app in Swedish, mounted at "/" of the FastAPI app.

Three tabs: "Fråga" (streamed answers with their sources, filters, example questions,
thumbs up/down), "Ansvar och prioriteringar" (the two registers as tables) and "Dokument"
(the stored documents; upload and removal with an admin key).

`add_chat` is called last by ui/server.py's `create_app`: routes added to the app before
the mount (/v1, /api/messages, /healthz, /readyz) keep answering, since Starlette tries
routes in order and the mount at "/" comes after them.

Rendering lives in ui/chat_render.py (pure, tested directly); this module only wires
Gradio components to the services.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI

from assistant.model import Answer, Delta
from assistant.service import QuestionError, check_question, is_text
from knowledge.base import KnowledgeBase
from knowledge.registers import PriorityEntry, ResponsibilityEntry
from knowledge.retrieval import SearchFilters
from nara.errors import NaraError, NotFoundError
from ui import chat_render as render
from ui.audit_actions import answered, uploaded
from ui.chat_access import (
    SIGN_IN_MESSAGE,
    chat_client,
    chat_is_off,
    chat_user,
    install_chat_off,
    sign_in,
)
from ui.chat_guard import (
    install_not_found,
    mounted_app,
    remove_uploads,
    shown_text,
    upload_folder,
    use_upload_folder,
    without_leaked_files,
)
from ui.chat_render import Exchange
from ui.rate_limit import RateLimiter, too_many
from ui.schemas import MAX_COMMENT_CHARS, MAX_HISTORY_TURNS
from ui.services import Services

log = logging.getLogger(__name__)

TITLE = "Nära vård-assistenten"
EXAMPLES = (
    "Vem ansvarar för kommunikationsplanen i Dorotea?",
    "Vad är prioriterat 2025 i Västernorrland?",
    "Hur länge gäller överenskommelsen i Västernorrland?",
    "Vilka målgrupper prioriteras för barn och unga?",
)
UPLOAD_TYPES = [".pdf", ".docx", ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".yaml"]
ALL = ""  # the value of "Alla …" in the register filters
UPLOAD_PROGRESS = gr.Progress()  # Gradio gives each call its own tracker
MAX_EXCHANGES = MAX_HISTORY_TURNS // 2
"""Exchanges a chat session keeps (the oldest dropped first): as many turns as the API's
history takes."""

CSS = """
.nara-sources { margin-top: .6em; padding-top: .4em;
                border-top: 1px solid var(--border-color-primary); }
.nara-sources-title { font-weight: 600; margin-bottom: .2em; }
.nara-source { margin: .5em 0 .8em 0; }
.nara-source-where { font-size: .9em; opacity: .85; }
.nara-passage { white-space: pre-wrap; font-size: .92em; margin: .3em 0 0 0; }
.nara-source mark, .nara-passage mark { background: #ffe58a; color: #1f1f1f; padding: 0 .1em; }
"""


def add_chat(app: FastAPI, services: Services) -> FastAPI:
    """Mount the chat at "/" of `app`. Call it after every other route is added.

    Uploads go to `data_dir/chat-uploads` (this sets GRADIO_TEMP_DIR for the process) and
    each is at most NARA_MAX_FILE_MB; the queue holds at most NARA_CHAT_QUEUE_SIZE events,
    NARA_CHAT_CONCURRENCY of them running at once. With NARA_CHAT_SIGN_IN=required (the
    default) the chat needs a sign-in with a configured key, and is off (503 at "/") when
    no key is configured (ui/chat_access.py)."""
    settings = services.settings
    if chat_is_off(settings):  # sign-in required, and no key to sign in with
        install_chat_off(app)
        return app
    use_upload_folder(settings)  # before any component is built: each reads the folder
    blocks = build_blocks(services)
    blocks.queue(
        max_size=settings.chat_queue_size, default_concurrency_limit=settings.chat_concurrency
    )
    mounted = gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        footer_links=[],
        run_history=False,  # questions may be sensitive: nothing kept in the browser
        show_error=False,  # handlers show Swedish messages; never exception text
        css=CSS,
        max_file_size=int(settings.max_file_mb * 1e6),
        auth=sign_in(settings),  # NARA_CHAT_SIGN_IN: see ui/chat_access.py
        auth_message=SIGN_IN_MESSAGE,
    )
    chat_app = mounted_app(mounted)
    if chat_app is not None:
        install_not_found(chat_app)
    return mounted


# -- components ------------------------------------------------------------------------
@dataclass
class ChatTab:
    organisations: gr.Dropdown
    doc_types: gr.Dropdown
    chatbot: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    clear: gr.Button
    comment: gr.Textbox
    feedback_status: gr.Markdown
    exchanges: gr.State


@dataclass
class RegistersTab:
    document: gr.Dropdown
    year: gr.Dropdown
    responsibilities: gr.Dataframe
    responsibility_source: gr.HTML
    priorities: gr.Dataframe
    priority_source: gr.HTML
    responsibility_entries: gr.State
    priority_entries: gr.State


@dataclass
class AdminPanel:
    key: gr.Textbox
    files: gr.File
    upload: gr.Button
    upload_status: gr.Markdown
    remove_choice: gr.Dropdown
    remove: gr.Button
    remove_status: gr.Markdown


@dataclass
class DocumentsTab:
    table: gr.Dataframe
    admin: AdminPanel | None
    """Present only when admin keys are configured."""


def build_blocks(services: Services) -> gr.Blocks:
    handlers = Handlers(services)
    max_age = services.settings.chat_upload_max_age_s
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(max_age, max_age)) as blocks:
        gr.Markdown(
            f"# {TITLE}\nSvar på frågor om de inlästa Nära vård-dokumenten. Varje svar visar "
            "sina källor; finns inget stöd i dokumenten säger assistenten det."
        )
        with gr.Tabs():
            with gr.Tab("Fråga", id="chat"):
                chat = _chat_tab(services.settings.max_question_chars)
            with gr.Tab("Ansvar och prioriteringar", id="registers"):
                registers = _registers_tab()
            with gr.Tab("Dokument", id="documents"):
                documents = _documents_tab(admin=services.keys.any_admin())
        _wire_chat(handlers, chat)
        _wire_registers(handlers, registers)
        catalogue = _catalogue_outputs(chat, registers, documents)
        _wire_documents(handlers, documents, catalogue)
        blocks.load(handlers.catalogue, None, catalogue)
    return blocks


def _chat_tab(max_question_chars: int) -> ChatTab:
    with gr.Row():
        organisations = gr.Dropdown(
            [],
            value=[],
            multiselect=True,
            label="Organisation eller region",
            elem_id="nara-filter-organisation",
            info="Tomt: alla organisationer och regioner.",
        )
        doc_types = gr.Dropdown(
            [],
            value=[],
            multiselect=True,
            label="Dokumenttyp",
            info="Tomt: alla dokumenttyper.",
            elem_id="nara-filter-type",
        )
    chatbot = gr.Chatbot(
        label="Samtal",
        height=640,
        placeholder=(
            "**Ställ en fråga om Nära vård-dokumenten.**<br>"
            "Svaren bygger bara på de inlästa dokumenten, med källa och citat."
        ),
        examples=[{"text": q} for q in EXAMPLES],
        feedback_options=["Like", "Dislike"],
        buttons=["copy"],
        latex_delimiters=[],
        allow_tags=False,
        elem_id="nara-chatbot",
    )
    with gr.Row():
        question = gr.Textbox(
            label="Din fråga",
            placeholder="Skriv en fråga, t.ex. Vem ansvarar för kommunikationsplanen i Dorotea?",
            lines=1,
            max_lines=6,
            max_length=max_question_chars,  # in the browser; respond() checks it again
            scale=5,
            elem_id="nara-question",
        )
        send = gr.Button("Skicka", variant="primary", scale=1, elem_id="nara-send")
    with gr.Row():
        comment = gr.Textbox(
            label="Kommentar till ditt omdöme (valfritt)",
            placeholder="Skriv gärna en kommentar och klicka sedan på tummen upp eller ner "
            "vid svaret.",
            lines=1,
            max_length=MAX_COMMENT_CHARS,  # in the browser; feedback() checks it again
            scale=5,
            elem_id="nara-comment",
        )
        clear = gr.Button("Ny konversation", scale=1, elem_id="nara-clear")
    feedback_status = gr.Markdown(elem_id="nara-feedback-status")
    return ChatTab(
        organisations,
        doc_types,
        chatbot,
        question,
        send,
        clear,
        comment,
        feedback_status,
        gr.State([]),
    )


def _registers_tab() -> RegistersTab:
    gr.Markdown(
        "Vem som ansvarar för vad, och vad som prioriteras, enligt dokumenten. "
        "Klicka på en rad för att se källan med citatet i sitt sammanhang."
    )
    with gr.Row():
        document = gr.Dropdown(
            [("Alla dokument", ALL)], value=ALL, label="Dokument", elem_id="nara-register-doc"
        )
        year = gr.Dropdown([("Alla år", ALL)], value=ALL, label="År", elem_id="nara-register-year")
    gr.Markdown("### Ansvar")
    responsibilities = gr.Dataframe(
        headers=render.RESPONSIBILITY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["5%", "19%", "20%", "11%", "25%", "20%"],
        max_height=420,
        elem_id="nara-responsibilities",
    )
    responsibility_source = gr.HTML(elem_id="nara-responsibility-source")
    gr.Markdown("### Prioriteringar")
    priorities = gr.Dataframe(
        headers=render.PRIORITY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["5%", "10%", "13%", "44%", "28%"],
        max_height=420,
        elem_id="nara-priorities",
    )
    priority_source = gr.HTML(elem_id="nara-priority-source")
    return RegistersTab(
        document,
        year,
        responsibilities,
        responsibility_source,
        priorities,
        priority_source,
        gr.State([]),
        gr.State([]),
    )


def _documents_tab(admin: bool) -> DocumentsTab:
    table = gr.Dataframe(
        headers=render.DOCUMENT_HEADERS,
        interactive=False,
        wrap=True,
        label="Inlästa dokument",
        column_widths=["20%", "8%", "14%", "8%", "7%", "7%", "10%", "9%", "5%", "12%"],
        elem_id="nara-documents",
    )
    if not admin:
        gr.Markdown(
            "Uppladdning och borttagning är avstängda: ingen administratörsnyckel är "
            "konfigurerad (inställningen `NARA_ADMIN_KEYS`)."
        )
        return DocumentsTab(table, None)
    with gr.Accordion("Administrera dokument", open=False, elem_id="nara-admin"):
        key = gr.Textbox(label="Administratörsnyckel", type="password", elem_id="nara-admin-key")
        files = without_leaked_files(
            gr.File(
                label="Dokument att läsa in (PDF, DOCX, Markdown, TXT, HTML; ev. .meta.yaml)",
                file_count="multiple",
                file_types=UPLOAD_TYPES,
                elem_id="nara-upload",
            )
        )
        upload = gr.Button("Läs in dokumenten", variant="primary", elem_id="nara-upload-btn")
        upload_status = gr.Markdown(elem_id="nara-upload-status")
        with gr.Row():
            remove_choice = gr.Dropdown(
                [], label="Dokument att ta bort", scale=4, elem_id="nara-remove-choice"
            )
            remove = gr.Button(
                "Ta bort dokumentet", variant="stop", scale=1, elem_id="nara-remove-btn"
            )
        remove_status = gr.Markdown(elem_id="nara-remove-status")
    panel = AdminPanel(key, files, upload, upload_status, remove_choice, remove, remove_status)
    return DocumentsTab(table, panel)


def _catalogue_outputs(
    chat: ChatTab, registers: RegistersTab, documents: DocumentsTab
) -> list[Any]:
    """Components that list the stored documents; refreshed on load and after changes.
    The order matches `Handlers.catalogue`."""
    outputs: list[Any] = [
        chat.organisations,
        chat.doc_types,
        registers.document,
        registers.year,
        documents.table,
        registers.responsibilities,
        registers.priorities,
        registers.responsibility_entries,
        registers.priority_entries,
    ]
    if documents.admin is not None:
        outputs.append(documents.admin.remove_choice)
    return outputs


# -- wiring ----------------------------------------------------------------------------
def _wire_chat(h: Handlers, c: ChatTab) -> None:
    ask_inputs = [c.question, c.exchanges, c.organisations, c.doc_types]
    ask_outputs = [c.chatbot, c.exchanges, c.question, c.send]
    c.question.submit(h.respond, ask_inputs, ask_outputs)
    c.send.click(h.respond, ask_inputs, ask_outputs)
    c.chatbot.example_select(h.example_text, None, c.question).then(
        h.respond, ask_inputs, ask_outputs
    )
    c.chatbot.like(h.feedback, [c.exchanges, c.comment], [c.feedback_status, c.comment])
    c.clear.click(h.clear, None, [c.chatbot, c.exchanges, c.question, c.feedback_status])
    c.chatbot.clear(h.clear, None, [c.chatbot, c.exchanges, c.question, c.feedback_status])


def _wire_registers(h: Handlers, r: RegistersTab) -> None:
    outputs = [
        r.responsibilities,
        r.priorities,
        r.responsibility_entries,
        r.priority_entries,
        r.responsibility_source,
        r.priority_source,
    ]
    r.document.change(h.registers, [r.document, r.year], outputs)
    r.year.change(h.registers, [r.document, r.year], outputs)
    r.responsibilities.select(h.register_source, r.responsibility_entries, r.responsibility_source)
    r.priorities.select(h.register_source, r.priority_entries, r.priority_source)


def _wire_documents(h: Handlers, d: DocumentsTab, catalogue: list[Any]) -> None:
    a = d.admin
    if a is None:
        return
    a.upload.click(h.upload, [a.key, a.files], [a.upload_status, a.files]).then(
        h.catalogue, None, catalogue
    )
    a.remove.click(h.remove, [a.key, a.remove_choice], a.remove_status).then(
        h.catalogue, None, catalogue
    )


# -- handlers --------------------------------------------------------------------------
class Handlers:
    """Event handlers; each turns the services' results into component values."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.limiter = RateLimiter(settings.chat_rate_per_s, settings.chat_burst)

    def _too_many(self, request: gr.Request | None) -> str | None:
        """A Swedish message when this user (signed in: the user name; else the client
        address) has used up the chat's rate (NARA_CHAT_RATE_PER_S, _BURST); else None.
        Without a request (a direct call, not through Gradio) nothing is limited."""
        if request is None:
            return None
        host = request.client.host if request.client is not None else None
        wait = self.limiter.wait_s(chat_client(request.username, host))
        if not wait:
            return None
        message, hint = too_many(self.limiter, wait, "dig", "NARA_CHAT_RATE_PER_S")
        return f"{message} {hint}"

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.kb

    # chat
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
        text = ""
        final: Answer | None = None
        try:
            with self.services.audit.action("chat", chat_user(request), "question", question) as e:
                for event in self.services.assistant.stream(
                    question, render.history_turns(done), filters
                ):
                    if isinstance(event, Delta):
                        text += event.text
                        shown = render.answer_markdown(text)
                        yield render.chat_messages(done, (question, shown)), done, "", busy
                    else:
                        final = event
                if final is None:
                    raise RuntimeError("the assistant gave no final answer")
                answered(e, final)
            exchange = render.exchange_of(question, final, self._texts(final))
        except QuestionError as error:  # the history or the follow-up made standalone
            exchange = render.error_exchange(
                question, render.question_error_message(question, limit, error)
            )
        except Exception:
            log.exception("the chat could not answer a question")
            exchange = render.error_exchange(question, render.GENERIC_ERROR)
        done = [*done, exchange]
        yield render.chat_messages(done), done, "", gr.update(interactive=True)

    def _texts(self, answer: Answer) -> dict[str, str | None]:
        texts: dict[str, str | None] = {}
        for citation in answer.citations:
            doc_id = citation.source.document_id
            if doc_id not in texts:
                texts[doc_id] = self._document_text(doc_id)
        return texts

    def _document_text(self, doc_id: str) -> str | None:
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
        self, document: str | None, year: str | int | None
    ) -> tuple[Any, Any, list[ResponsibilityEntry], list[PriorityEntry], str, str]:
        doc = document or None
        chosen = int(year) if year not in (None, ALL) else None
        try:
            duties = self.services.assistant.responsibilities(doc, chosen)
            priorities = self.services.assistant.priorities(doc, chosen)
        except NotFoundError:  # removed since the list was loaded
            duties, priorities = [], []
        titles = self._titles()
        return (
            {
                "data": render.responsibility_rows(duties, titles),
                "headers": render.RESPONSIBILITY_HEADERS,
            },
            {"data": render.priority_rows(priorities, titles), "headers": render.PRIORITY_HEADERS},
            duties,
            priorities,
            "",
            "",
        )

    def register_source(
        self, entries: list[ResponsibilityEntry | PriorityEntry] | None, event: gr.SelectData
    ) -> str:
        row = event.row_value or []
        try:
            entry = (entries or [])[int(row[0]) - 1]
        except (IndexError, TypeError, ValueError):
            return ""
        title = self._titles().get(entry.document_id, entry.document_id)
        return render.register_source_html(entry, title, self._document_text(entry.document_id))

    def _titles(self) -> dict[str, str]:
        return {d.doc_id: d.title for d in self.kb.documents()}

    # documents
    def catalogue(self) -> list[Any]:
        """Values of `_catalogue_outputs`, from the documents stored now."""
        docs = self.kb.documents()
        duty_table, priority_table, duties, priorities, _, _ = self.registers(ALL, ALL)
        years = render.year_choices(docs, priorities)
        values: list[Any] = [
            gr.update(choices=render.organisation_choices(docs)),
            gr.update(choices=render.doc_type_choices(docs)),
            gr.update(
                choices=[("Alla dokument", ALL)] + [(d.title, d.doc_id) for d in docs], value=ALL
            ),
            gr.update(choices=[("Alla år", ALL)] + [(str(y), str(y)) for y in years], value=ALL),
            {"data": render.document_rows(docs), "headers": render.DOCUMENT_HEADERS},
            duty_table,
            priority_table,
            duties,
            priorities,
        ]
        if self.services.keys.any_admin():  # the admin section exists
            values.append(
                gr.update(choices=[(f"{d.title} ({d.doc_id})", d.doc_id) for d in docs], value=None)
            )
        return values

    def upload(
        self,
        key: str,
        files: list[str] | None,
        request: gr.Request | None = None,
        progress: gr.Progress = UPLOAD_PROGRESS,
    ) -> tuple[str, Any]:
        """Read in the uploaded `files` (admin key). With a wrong key they stay selected
        (and on disk, under the data dir, until NARA_CHAT_UPLOAD_MAX_AGE_S) for a retry;
        once read in, successfully or not, they and their staged copies are deleted and
        the selection is cleared. The selection is kept by returning it, never by an
        update (see `without_leaked_files`)."""
        if refused := self._too_many(request):
            return refused, files
        if not self.services.keys.is_admin(key or ""):
            return "**Fel administratörsnyckel.** Inget lästes in.", files
        if not files:
            return "Välj en eller flera filer att läsa in.", files
        folder = upload_folder(self.services.settings)
        try:
            return self._ingest_uploads(files, folder, progress, chat_user(request)), None
        finally:
            remove_uploads(files, folder)

    def _ingest_uploads(
        self, files: list[str], folder: Path, progress: gr.Progress, user: str
    ) -> str:
        progress(0, desc="Förbereder inläsningen …")
        with tempfile.TemporaryDirectory(prefix="nara-upload-", dir=folder) as tmp:
            paths = _stage_uploads(files, Path(tmp))
            done = 0

            def step(path: Path) -> None:
                nonlocal done
                done += 1
                progress((done, len(paths)), desc=f"Läser in {path.name}", unit="filer")

            try:
                with self.services.audit.action("chat", user, "upload") as entry:
                    report = self.kb.ingest(paths, progress=step)
                    uploaded(entry, report)
            except NaraError as error:  # busy store, full disk, shutting down: its own words
                return f"**Inläsningen misslyckades.** {error}"
            except Exception:
                log.exception("upload failed")
                return "Inläsningen misslyckades. Inget nytt sparades; välj filerna igen."
        errors = [render.ingest_error_message(e, Path(e.path).name) for e in report.failed]
        return render.ingest_summary(
            len(report.added), len(report.updated), len(report.unchanged), errors, report.flags
        )

    def remove(self, key: str, doc_id: str | None, request: gr.Request | None = None) -> str:
        if refused := self._too_many(request):
            return refused
        if not self.services.keys.is_admin(key or ""):
            return "**Fel administratörsnyckel.** Inget togs bort."
        if not doc_id:
            return "Välj ett dokument att ta bort."
        try:
            with self.services.audit.action("chat", chat_user(request), "removal") as entry:
                entry.documents = [doc_id]
                record = self.kb.remove(doc_id)
        except NotFoundError:
            return "Dokumentet finns inte längre."
        except NaraError as error:  # busy store, full disk: its own words
            return f"**Dokumentet togs inte bort.** {error}"
        except Exception:
            log.exception("removal failed")
            return "Dokumentet kunde inte tas bort. Försök igen om en stund."
        return f"Borttaget: {record.title} ({record.doc_id})."


def _stage_uploads(files: list[str], folder: Path) -> list[Path]:
    """Copy uploads into one folder under their own names, so that a `NAME.meta.yaml`
    sidecar sits beside its `NAME`; returns the documents to read (not the sidecars)."""
    staged: list[Path] = []
    for file in files:
        source = Path(file)
        target = folder / source.name
        shutil.copyfile(source, target)
        if not target.name.lower().endswith(".meta.yaml"):
            staged.append(target)
    return sorted(set(staged))
