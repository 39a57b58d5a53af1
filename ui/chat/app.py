"""The staff chat: a Gradio app in Swedish, mounted at "/" of the FastAPI app.

Three tabs: "Fråga" (streamed answers with their sources, filters, example questions,
thumbs up/down), "Ansvar och prioriteringar" (the two registers as tables) and "Dokument"
(the stored documents; upload and removal for an administrator: a user signed in with
an admin key, or with OpenID Connect in an admin group).

`add_chat` is called last by ui/server.py's `create_app`: routes added to the app before
the mount (/v1, /api/messages, /healthz, /readyz) keep answering, since Starlette tries
routes in order and the mount at "/" comes after them.

Rendering lives in ui/chat/render.py, tables.py, ingest_messages.py and answer.py (pure,
tested directly); this module only wires Gradio components to the services.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from fastapi import FastAPI

from ui.app.services import Services
from ui.chat.access import announce_sign_in, chat_is_off, gradio_auth, install_chat_off
from ui.chat.admin import DocumentsTab, documents_tab, wire_admin_panel
from ui.chat.guard import (
    install_not_found,
    mounted_app,
    use_upload_folder,
)
from ui.chat.handlers import Handlers
from ui.chat.i18n import swedish_i18n
from ui.chat.identity import KeySignIn
from ui.chat.sign_in import SignInLanguage
from ui.chat.style import CSS, PAGE_JS
from ui.chat.tabs import ChatTab, RegistersTab, chat_tab, registers_tab

log = logging.getLogger(__name__)

TITLE = "Nära vård-assistenten"
SIGN_OUT_LINK = '<a href="/auth/sign-out" target="_self">Logga ut</a>'
"""Shown with OpenID Connect on (ui/chat/oidc.py ends the session there)."""
QUIET = "hidden"
"""Progress display of background refreshes: Gradio's shows fixed English ("processing")."""


def add_chat(app: FastAPI, services: Services) -> FastAPI:
    """Mount the chat at "/" of `app`. Call it after every other route is added.

    Uploads go to `data_dir/chat-uploads` (this sets GRADIO_TEMP_DIR for the process) and
    each is at most NARA_MAX_FILE_MB; the queue holds at most NARA_CHAT_QUEUE_SIZE events,
    NARA_CHAT_CONCURRENCY of them running at once. With NARA_OIDC_ISSUER set, nothing of
    the chat answers without a session from a sign-in there (ui/chat/oidc.py, ui/chat/oidc_gate.py).
    Otherwise, with NARA_CHAT_SIGN_IN=required (the default) the chat needs a sign-in
    with a configured key, and is off (503 at "/") when no key is configured
    (ui/chat/access.py)."""
    settings = services.settings
    announce_sign_in(settings)
    if chat_is_off(settings):  # sign-in required, and no key to sign in with
        install_chat_off(app)
        return app
    if settings.oidc.enabled:
        from ui.chat.oidc import add_oidc  # only with OpenID Connect configured

        add_oidc(app, settings)  # the session cookie and /auth/*, before the mount
    use_upload_folder(settings)  # before any component is built: each reads the folder
    blocks = build_blocks(services)
    i18n = swedish_i18n()
    blocks.queue(
        max_size=settings.chat.queue_size, default_concurrency_limit=settings.chat.concurrency
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
        **gradio_auth(settings),  # OIDC or NARA_CHAT_SIGN_IN
        i18n=i18n,  # Gradio's own texts in Swedish, whatever the browser's language
        js=PAGE_JS,
    )
    chat_app = mounted_app(mounted)
    if chat_app is not None:
        install_not_found(chat_app)
        chat_app.add_middleware(SignInLanguage, translations=i18n.translations_dict)
        chat_app.add_middleware(KeySignIn, sessions=services.chat_sessions)
    if settings.oidc.enabled:
        from ui.chat.oidc_gate import guard_chat

        guard_chat(mounted, settings)  # nothing under "/" without a session
    return mounted


def build_blocks(services: Services) -> gr.Blocks:
    handlers = Handlers(services)
    max_age = services.settings.chat.upload_max_age_s
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(max_age, max_age)) as blocks:
        gr.Markdown(
            f"# {TITLE}\nSvar på frågor om de inlästa Nära vård-dokumenten. Varje svar visar "
            "sina källor; finns inget stöd i dokumenten säger assistenten det."
        )
        if services.settings.oidc.enabled:
            gr.HTML(SIGN_OUT_LINK, elem_id="nara-sign-out")
        with gr.Tabs():
            with gr.Tab("Fråga", id="chat"):
                chat = chat_tab(services.settings.max_question_chars)
            with gr.Tab("Ansvar och prioriteringar", id="registers"):
                registers = registers_tab()
            with gr.Tab("Dokument", id="documents"):
                documents = documents_tab(services)
        _wire_chat(handlers, chat)
        _wire_registers(handlers, registers)
        catalogue = _catalogue_outputs(chat, registers, documents)
        _wire_documents(handlers, documents, catalogue)
        blocks.load(handlers.catalogue, None, catalogue, show_progress=QUIET)
    return blocks


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
    if documents.admin is not None:  # its choices, and shown to administrators only
        outputs += [documents.admin.remove_choice, documents.admin.accordion]
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
    r.document.change(h.registers, [r.document, r.year], outputs, show_progress=QUIET)
    r.year.change(h.registers, [r.document, r.year], outputs, show_progress=QUIET)
    r.responsibilities.select(h.register_source, r.responsibility_entries, r.responsibility_source)
    r.priorities.select(h.register_source, r.priority_entries, r.priority_source)


def _wire_documents(h: Handlers, d: DocumentsTab, catalogue: list[Any]) -> None:
    if d.admin is not None:
        wire_admin_panel(h, d.admin, catalogue)
