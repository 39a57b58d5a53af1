"""`nara chat`: a conversation in the terminal. Each answer is printed once, line by line
as it streams, then its sources; the history is kept across turns until `/ny`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from ui.cli.render import answer_text, sources_text, use_colour

PROMPT = "Fråga> "
WELCOME = "Nära vård-assistenten. Ställ en fråga. /hjälp visar kommandona."
HELP = (
    "Kommandon:\n"
    "  /ny       börja en ny konversation (glömmer tidigare frågor)\n"
    "  /hjälp    visa den här hjälpen\n"
    "  /avsluta  avsluta (eller Ctrl-D)\n"
    "Följdfrågor förstås utifrån tidigare frågor och svar i samma konversation."
)
NEW_CONVERSATION = "(Ny konversation.)"
QUIT = {"/avsluta", "/exit", "/quit"}
NEW = {"/ny", "/new"}
HELP_COMMANDS = {"/hjälp", "/hjalp", "/help", "/?"}
UNKNOWN_COMMAND = "Okänt kommando {command}. /hjälp visar kommandona."


def questions(stdin: IO[str], interactive: bool) -> Iterator[str]:
    """Lines typed by the user. On a terminal with a prompt (and line editing through
    `input`), otherwise line by line from the stream."""
    if not interactive:
        yield from (line.rstrip("\n") for line in stdin)
        return
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return


def print_answer(events: Iterable[Any], out: IO[str], colour: bool) -> Any:
    """Print the streamed text of one answer line by line, then its sources; returns the
    final `Answer`. A line is printed when complete, so Markdown markers split across
    stream pieces are still removed."""
    from assistant.model import Answer, Delta

    pending, streamed, final = "", False, None
    for event in events:
        if isinstance(event, Delta):
            pending += event.text
            *done, pending = pending.split("\n")
            for line in done:
                out.write(answer_text(line, colour) + "\n")
                streamed = True
            out.flush()
        elif isinstance(event, Answer):
            final = event
    if final is None:
        return None
    if pending.strip():
        out.write(answer_text(pending, colour) + "\n")
    elif not streamed:
        out.write(answer_text(final.answer.rstrip("\n"), colour) + "\n")
    sources = sources_text(final, colour)
    out.write(f"\n{sources}\n\n" if sources else "\n")
    out.flush()
    return final


def chat_loop(
    stream: Callable[[str, list[Any]], Iterable[Any]], stdin: IO[str], out: IO[str]
) -> None:
    """The conversation: `stream(question, history)` yields the answer events."""
    from assistant.model import Turn
    from nara.errors import NaraError

    interactive = stdin.isatty()
    colour = use_colour(out)
    history: list[Turn] = []
    out.write(WELCOME + "\n")
    for line in questions(stdin, interactive):
        question = line.strip()
        if not question:
            continue
        command = question.casefold()
        if command in QUIT:
            break
        if command in NEW:
            history.clear()
            out.write(NEW_CONVERSATION + "\n")
        elif command in HELP_COMMANDS:
            out.write(HELP + "\n")
        elif command.startswith("/"):
            out.write(UNKNOWN_COMMAND.format(command=question.split()[0]) + "\n")
        else:
            try:
                answer = print_answer(stream(question, history), out, colour)
            except NaraError as err:
                out.write(
                    f"fel: {err.message}" + (f" Åtgärd: {err.hint}" if err.hint else "") + "\n"
                )
                continue
            if answer is not None:
                history += [Turn("user", question), Turn("assistant", answer.answer)]
        out.flush()


def run_chat(assistant: Any, access: Any = None) -> None:
    """`nara chat` on the process's standard streams, reading the documents `access`
    may (the command line's reader); each question is audited as `nara ask`'s is
    (ui/app/audit_actions.py)."""
    from assistant.model import Answer
    from ui.app.audit_actions import answered, cli_action

    def stream(question: str, history: list[Any]) -> Iterator[Any]:
        with cli_action("question", question) as entry:
            for event in assistant.stream(question, history, access=access):
                if isinstance(event, Answer):
                    answered(entry, event)
                yield event

    chat_loop(stream, sys.stdin, sys.stdout)
