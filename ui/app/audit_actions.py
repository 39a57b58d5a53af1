"""What an interface writes into an audit entry for its actions (`ui.app.audit`): the status
and documents of an answer, a search, an upload; the user name of the CLI."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from nara.settings import load_settings
from ui.app.audit import Action, AuditLog, Pending

if TYPE_CHECKING:  # for the annotations only: the CLI imports this module at start-up
    from assistant.model import Answer
    from knowledge.ingest_run import IngestReport
    from knowledge.retrieval import SearchResult


def answered(pending: Pending, answer: Answer) -> None:
    """The cited documents, and `answered` or `refused:<reason>`."""
    pending.documents = [c.source.document_id for c in answer.citations]
    reason = f":{answer.reason.value}" if answer.reason else ""
    pending.status = answer.status.value + reason


def searched(pending: Pending, results: Iterable[SearchResult]) -> None:
    pending.documents = [r.document.doc_id for r in results]


def uploaded(pending: Pending, report: IngestReport) -> None:
    """The documents stored or found unchanged; `ok`, or `failed:<n>` when n files were
    refused (their names are not logged: a file name may hold personal data)."""
    pending.documents = [*report.added, *report.updated, *report.unchanged]
    pending.status = f"failed:{len(report.failed)}" if report.failed else "ok"


def cli_user() -> str:
    """The account running the command line."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container): the uid still names it
        return f"uid:{os.getuid()}"


@contextmanager
def cli_action(action: Action, question: str | None = None) -> Iterator[Pending]:
    """One audit entry for a command-line action, by the account running it."""
    with AuditLog.from_settings(load_settings()).action(
        "cli", cli_user(), action, question
    ) as pending:
        yield pending
