"""The chat's "Fråga" and "Ansvar och prioriteringar" tabs: their components, built
inside the page's `gr.Blocks` (ui/chat/app.py wires them to the handlers)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from ui.app.schemas import MAX_COMMENT_CHARS
from ui.chat import tables
from ui.chat.handlers import ALL

EXAMPLES = (
    "Vem ansvarar för kommunikationsplanen i Dorotea?",
    "Vad är prioriterat 2025 i Västernorrland?",
    "Hur länge gäller överenskommelsen i Västernorrland?",
    "Vilka målgrupper prioriteras för barn och unga?",
)


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


def chat_tab(max_question_chars: int) -> ChatTab:
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


def registers_tab() -> RegistersTab:
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
        headers=tables.RESPONSIBILITY_HEADERS,
        interactive=False,
        wrap=True,
        column_widths=["5%", "19%", "20%", "11%", "25%", "20%"],
        max_height=420,
        elem_id="nara-responsibilities",
    )
    responsibility_source = gr.HTML(elem_id="nara-responsibility-source")
    gr.Markdown("### Prioriteringar")
    priorities = gr.Dataframe(
        headers=tables.PRIORITY_HEADERS,
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
