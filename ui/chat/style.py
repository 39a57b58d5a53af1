"""The staff chat's stylesheet and page script (ui/chat/app.py mounts them).

Phone first: at 390 px nothing is wider than the screen; tables keep readable column
widths and scroll sideways inside their own box; the answer reads from its lead line.
The script (run once on load) does three things Gradio's components cannot:
- Swedish page language and Swedish labels where Gradio's are fixed English
  (`ui.chat.i18n.ARIA_SCRIPT`);
- after an answer, the chat shows the answer's start, not the end of its sources;
- a citation marker "[n]" opens its source, scrolls to it and highlights the quote.
"""

from __future__ import annotations

from ui.chat.i18n import ARIA_SCRIPT

TABLE_MIN_WIDTH = {"responsibilities": "60rem", "priorities": "46rem", "documents": "80rem"}
"""Narrowest width of each table; narrower screens scroll it sideways. With the column
shares set in ui/chat/app.py the narrowest column (5 %) is then about 3 rem and the others at
least 8 characters, so headers and dates stay whole words (issue #13 saw "G ä l l e r"
at 390 px)."""
PHONE_MAX_PX = 640
"""Widths up to this are laid out as a phone (one column, smaller margins)."""

CSS = f"""
.nara-answer {{ scroll-margin-top: 8px; }}
.nara-lead {{ font-size: 1em; font-weight: 600; margin: 0 0 .5em 0; }}
.nara-group {{ margin: .3em 0 .6em 0; }}
.nara-group-title {{ font-size: .9em; opacity: .8; margin-bottom: .15em; }}
.nara-group ul {{ margin: 0; padding-left: 1.2em; }}
.nara-cite {{ color: var(--link-text-color, #2563eb); cursor: pointer;
              text-decoration: underline; white-space: nowrap; }}
.nara-sources {{ margin-top: .6em; padding-top: .4em;
                 border-top: 1px solid var(--border-color-primary); }}
.nara-sources-title {{ font-weight: 600; cursor: pointer; }}
.nara-source {{ margin: .5em 0 .8em 0; padding: .2em .4em; border-radius: 6px;
                transition: background-color .6s; }}
.nara-source.nara-flash {{ background: #fff3c4; }}
.nara-source-file {{ font-size: .82em; opacity: .75; overflow-wrap: anywhere; }}
.nara-passage {{ font-size: .92em; margin: .3em 0 0 0; padding-left: .6em;
                 border-left: 3px solid var(--border-color-primary);
                 overflow-wrap: anywhere; }}
.nara-passage .nara-h {{ display: inline-block; margin-top: .2em; }}
.nara-row {{ border-collapse: collapse; margin: .3em 0; font-size: .95em; width: 100%; }}
.nara-row th {{ text-align: left; font-weight: 600; padding: .15em .5em .15em 0;
                vertical-align: top; white-space: nowrap; width: 1%; }}
.nara-row td {{ padding: .15em 0; vertical-align: top; }}
.nara-source mark, .nara-passage mark {{ background: #ffe58a; color: #1f1f1f;
                                         padding: 0 .1em; }}
.nara-streaming p {{ margin: 0 0 .3em 0; }}
#nara-responsibilities table {{ min-width: {TABLE_MIN_WIDTH["responsibilities"]}; }}
#nara-priorities table {{ min-width: {TABLE_MIN_WIDTH["priorities"]}; }}
#nara-documents table {{ min-width: {TABLE_MIN_WIDTH["documents"]}; }}
@media (max-width: {PHONE_MAX_PX}px) {{
  .gradio-container {{ padding-left: 6px !important; padding-right: 6px !important; }}
  #nara-chatbot {{ height: 70vh !important; }}
  #nara-chatbot .message-row {{ max-width: 100% !important; margin: 8px 4px 4px !important; }}
  #nara-chatbot .message-row .message {{ padding: 4px 6px !important; }}
  .nara-row th {{ white-space: normal; }}
  .tab-wrapper .tab-container button {{ font-size: .88em; padding: 0 .4em !important; }}
}}
"""

BEHAVIOUR_SCRIPT = """
  const flash = (source) => {
    const details = source.closest("details");
    if (details) details.open = true;
    source.scrollIntoView({block: "center", behavior: "smooth"});
    source.classList.add("nara-flash");
    setTimeout(() => source.classList.remove("nara-flash"), 2500);
  };
  const openCite = (e) => {
    const cite = e.target.closest && e.target.closest(".nara-cite");
    if (!cite) return;
    if (e.type === "keydown" && e.key !== "Enter" && e.key !== " ") return;
    e.preventDefault();
    const [, turn, n] = cite.id.split("-");  // nara-c{turn}-{n}-{k}
    const source = document.getElementById("nara-s" + turn.slice(1) + "-" + n);
    if (source) flash(source);
  };
  document.addEventListener("click", openCite, true);
  document.addEventListener("keydown", openCite, true);
  const shownTurns = new Set();
  const showAnswerStart = (answer) => {
    answer.dataset.shown = "1";
    if (shownTurns.has(answer.id)) return;  // an earlier answer drawn again
    shownTurns.add(answer.id);
    // Gradio scrolls the chat to its end as the message grows: show the start after it.
    for (const ms of [50, 300, 800]) setTimeout(() => answer.scrollIntoView({block: "start"}), ms);
  };
  const watch = () => {
    const chat = document.getElementById("nara-chatbot");
    if (!chat) return setTimeout(watch, 300);
    new MutationObserver(() => {
      const answers = chat.querySelectorAll(".nara-answer:not([data-shown])");
      if (answers.length) showAnswerStart(answers[answers.length - 1]);
    }).observe(chat, {subtree: true, childList: true});
  };
  watch();
"""

PAGE_JS = "() => {\n" + ARIA_SCRIPT + BEHAVIOUR_SCRIPT + "}\n"
"""`mount_gradio_app(js=…)`: run once when the page loads."""
