"""The chat's "Dokument" tab and its administration, for administrators (a user signed in
with an admin key, or with OpenID Connect in an admin group; `ui.chat.identity`):
upload, and removal after a confirmation that names the document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui.app.services import Services
from ui.chat import tables
from ui.chat.access import admin_in_chat
from ui.chat.guard import without_leaked_files
from ui.chat.handlers import Handlers

NO_ADMIN_KEY = (
    "Uppladdning och borttagning är avstängda: ingen administratörsnyckel är "
    "konfigurerad (inställningen `NARA_ADMIN_KEYS`, eller `nara keys create NAMN --admin`)."
)
OPEN_CHAT = (
    "Uppladdning och borttagning är avstängda i en öppen chatt (`NARA_CHAT_SIGN_IN=open`): "
    "bara en inloggad administratör får ändra dokumenten. Använd API:t eller kommandoraden."
)
NO_ADMIN_GROUP = (
    "Uppladdning och borttagning är avstängda: ingen administratörsgrupp är "
    "konfigurerad (inställningen `NARA_OIDC_ADMIN_GROUPS`)."
)
UPLOAD_TYPES = [".pdf", ".docx", ".md", ".markdown", ".txt", ".text", ".html", ".htm", ".yaml"]


@dataclass
class AdminPanel:
    accordion: gr.Accordion
    """The whole panel: shown to administrators only (`AdminHandlers.admin_panel_shown`)."""
    files: gr.File
    groups: gr.Textbox
    """Who may read the uploaded documents (groups separated by commas; empty: the
    default of NARA_ACCESS_DEFAULT)."""
    upload: gr.Button
    upload_status: gr.Markdown
    remove_choice: gr.Dropdown
    remove: gr.Button
    remove_status: gr.Markdown
    confirm_row: gr.Row
    """Shown after "Ta bort dokumentet": the question naming the document, yes or no."""
    confirm_text: gr.Markdown
    confirm: gr.Button
    cancel: gr.Button
    pending: gr.State
    """The document id awaiting confirmation (None when nothing is)."""


def build_admin_panel() -> AdminPanel:
    """The panel, hidden until the page's load shows it to an administrator
    (`AdminHandlers.admin_panel_shown`)."""
    with gr.Accordion(
        "Administrera dokument", open=False, elem_id="nara-admin", visible=False
    ) as accordion:
        files = without_leaked_files(
            gr.File(
                label="Dokument att läsa in (PDF, DOCX, Markdown, TXT, HTML; ev. .meta.yaml)",
                file_count="multiple",
                file_types=UPLOAD_TYPES,
                elem_id="nara-upload",
            )
        )
        groups = gr.Textbox(
            label="Grupper som får läsa dokumenten (skilj med komma; tomt: alla)",
            elem_id="nara-upload-groups",
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
        with gr.Row(visible=False, elem_id="nara-remove-confirm") as confirm_row:
            confirm_text = gr.Markdown(elem_id="nara-remove-question")
            confirm = gr.Button("Ja, ta bort", variant="stop", elem_id="nara-remove-yes")
            cancel = gr.Button("Avbryt", elem_id="nara-remove-no")
        remove_status = gr.Markdown(elem_id="nara-remove-status")
    return AdminPanel(
        accordion,
        files,
        groups,
        upload,
        upload_status,
        remove_choice,
        remove,
        remove_status,
        confirm_row,
        confirm_text,
        confirm,
        cancel,
        gr.State(None),
    )


def wire_admin_panel(h: Handlers, a: AdminPanel, catalogue: list[Any]) -> None:
    """Upload reads the files in; "Ta bort dokumentet" asks first, naming the document;
    only "Ja, ta bort" removes it (whether the session's user administers is checked
    again then)."""
    a.upload.click(h.upload, [a.files, a.groups], [a.upload_status, a.files]).then(
        h.catalogue, None, catalogue
    )
    asked = [a.confirm_row, a.confirm_text, a.pending, a.remove_status]
    a.remove.click(h.ask_remove, a.remove_choice, asked)
    a.cancel.click(h.cancel_remove, None, asked)
    a.confirm.click(h.remove, [a.pending], a.remove_status).then(
        h.cancel_remove_quietly, None, [a.confirm_row, a.confirm_text, a.pending]
    ).then(h.catalogue, None, catalogue)


@dataclass
class DocumentsTab:
    table: gr.Dataframe
    admin: AdminPanel | None
    """Present only when someone may administer (ui/chat/access.py `admin_in_chat`)."""


def documents_tab(services: Services) -> DocumentsTab:
    """The "Dokument" tab: the stored documents, and the administration when someone
    may administer (ui/chat/access.py `admin_in_chat`)."""
    table = gr.Dataframe(
        headers=tables.DOCUMENT_HEADERS,
        interactive=False,
        wrap=True,
        label="Inlästa dokument",
        column_widths=["20%", "8%", "14%", "8%", "7%", "7%", "10%", "9%", "5%", "12%"],
        elem_id="nara-documents",
    )
    settings = services.settings
    if not admin_in_chat(settings, services.keys):
        if settings.oidc.enabled:
            gr.Markdown(NO_ADMIN_GROUP)
        else:
            gr.Markdown(OPEN_CHAT if settings.chat.sign_in == "open" else NO_ADMIN_KEY)
        return DocumentsTab(table, None)
    return DocumentsTab(table, build_admin_panel())
