"""Swedish for Gradio's own texts in the staff chat, whatever the browser's language.

Gradio's frontend picks its language from the browser and translates its own texts
(upload box, copy, like/dislike, sign-in) through svelte-i18n. The custom translations
given to `mount_gradio_app(i18n=…)` are added under each locale; a flat key such as
"upload_text.drop_file" is looked up before the nested built-in one, so the Swedish below
wins in every locale Gradio knows. A few labels are fixed English in Gradio's components
("More tabs", "Scroll down", "chatbot conversation", "bot's message: …") and so is
the status line ("processing |", "queue: 1/2 |"); `ARIA_SCRIPT`
rewrites those in the page as they appear.
"""

from __future__ import annotations

import json

import gradio as gr

GRADIO_LOCALES = (
    *("ar", "ca", "ckb", "de", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "ja"),
    *("ko", "lt", "nb", "nl", "pl", "pt-BR", "pt", "ro", "ru", "sv", "ta", "th", "tr", "uk"),
    *("ur", "uz", "zh-CN", "zh-TW"),
)
"""The locales of Gradio 6's frontend (its lang/*.json files); the browser's language is
matched against these, and anything else falls back to "en"."""

SWEDISH: dict[str, str] = {
    "upload_text.click_to_upload": "Klicka för att ladda upp",
    "upload_text.drop_file": "Släpp filen här",
    "upload_text.drop_csv": "Släpp CSV-filen här",
    "upload_text.paste_clipboard": "Klistra in från urklipp",
    "file.uploading": "Laddar upp …",
    "common.or": "eller",
    "common.clear": "Rensa",
    "common.download": "Ladda ned",
    "common.download_all": "Ladda ned alla",
    "common.edit": "Redigera",
    "common.empty": "Tomt",
    "common.error": "Fel",
    "common.loading": "Laddar",
    "common.remove": "Ta bort",
    "common.submit": "Skicka",
    "common.undo": "Ångra",
    "common.settings": "Inställningar",
    "common.language": "Språk",
    "common.progress": "Förlopp",
    "chatbot.copy_message": "Kopiera svaret",
    "chatbot.copied_message": "Svaret är kopierat",
    "chatbot.like": "Gilla",
    "chatbot.dislike": "Ogilla",
    "chatbot.clear": "Rensa samtalet",
    "chatbot.edit": "Redigera",
    "chatbot.retry": "Försök igen",
    "chatbot.undo": "Ångra",
    "chatbot.submit": "Skicka",
    "chatbot.cancel": "Avbryt",
    "chatbot.complete": "Klart",
    "dataframe.sort_column": "Sortera kolumnen",
    "dataframe.sort_ascending": "Sortera stigande",
    "dataframe.sort_descending": "Sortera fallande",
    "dropdown.dropdown": "Lista",
    "login.login": "Logga in",
    "login.username": "användarnamn",
    "login.password": "lösenord",
    "login.incorrect_credentials": "Fel användarnamn eller nyckel",
    "status.queue_position": "I kö: {position} av {size}",
    "blocks.lost_connection": "Anslutningen bröts när sidan lämnades. Ansluter igen …",
    "blocks.waiting_for_inputs": "Väntar på att filerna laddas upp klart; försök igen.",
    "blocks.connection_can_break": (
        "På en mobil kan anslutningen brytas om fliken inte är aktiv eller enheten vilar."
    ),
}
"""Gradio's keys (frontend lang/en.json) for the texts the chat can show, in Swedish."""

FIXED_LABELS: dict[str, str] = {
    "More tabs": "Fler flikar",
    "Scroll down": "Rulla ned till senaste svaret",
    "chatbot conversation": "Samtal",
    "Copy message": "Kopiera svaret",
    "Copied message": "Svaret är kopierat",
    "Like": "Gilla",
    "Dislike": "Ogilla",
    "Clear": "Rensa samtalet",
    "Copy": "Kopiera",
    "Copied!": "Kopierat",
    "Remove": "Ta bort",
    "Clear all": "Rensa alla",
    "Sort column": "Sortera kolumnen",
    "Download": "Ladda ned",
}
"""English aria-labels and titles written into Gradio's components (not translatable)."""

MESSAGE_LABELS = {"user": "Din fråga", "bot": "Svar", "assistant": "Svar"}
"""Gradio labels each chat message "<role>'s message: <its Markdown source>"."""

ARIA_SCRIPT = """
  const fixed = FIXED, roles = ROLES, MAX = 200;
  const fix = (el) => {
    for (const attr of ["aria-label", "title"]) {
      const v = el.getAttribute(attr);
      if (!v) continue;
      if (fixed[v]) { el.setAttribute(attr, fixed[v]); continue; }
      const m = v.match(/^(\\w+)'s message: /);
      if (m) {
        const text = (el.innerText || "").replace(/\\s+/g, " ").trim().slice(0, MAX);
        const role = roles[m[1]] || "Meddelande";
        el.setAttribute(attr, text ? role + ": " + text : role);
      }
    }
  };
  const STATUS = [[/^processing \\|/, "arbetar |"], [/^queue: /, "i kö: "]];
  const fixText = (node) => {
    for (const [re, sv] of STATUS) {
      if (re.test(node.nodeValue)) node.nodeValue = node.nodeValue.replace(re, sv);
    }
  };
  const sweep = (root) => {
    if (root.nodeType === 3) return fixText(root);
    if (root.nodeType !== 1) return;
    fix(root);
    root.querySelectorAll("[aria-label],[title]").forEach(fix);
    const texts = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) fixText(texts.currentNode);
  };
  document.documentElement.lang = "sv";
  sweep(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") fix(r.target);
      else if (r.type === "characterData") fixText(r.target);
      else r.addedNodes.forEach(sweep);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true,
                             attributeFilter: ["aria-label", "title"]});
""".replace("FIXED", json.dumps(FIXED_LABELS)).replace("ROLES", json.dumps(MESSAGE_LABELS))
"""Part of the page script (ui/chat/style.py): Swedish page language, and the fixed
English labels replaced whenever Gradio sets them."""


def swedish_i18n() -> gr.I18n:
    """`SWEDISH` under every Gradio locale, so the browser's language does not matter."""
    return gr.I18n(**{locale: dict(SWEDISH) for locale in GRADIO_LOCALES})
