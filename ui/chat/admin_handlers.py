"""Event handlers of the chat's document administration: upload, and removal after a
confirmation naming the document. The base of `ui.chat.handlers.Handlers`, which holds
the services and the rate limit."""

from __future__ import annotations

import html
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from knowledge.access import Access, normalise_groups
from knowledge.base import KnowledgeBase
from nara.errors import NaraError, NotFoundError
from ui.app.audit_actions import uploaded
from ui.app.rate_limit import RateLimiter, too_many
from ui.app.services import Services
from ui.app.text import plain_links
from ui.chat import ingest_messages
from ui.chat.access import chat_client, chat_user
from ui.chat.guard import remove_uploads, upload_folder
from ui.chat.identity import ChatIdentity, chat_identity

log = logging.getLogger(__name__)

UPLOAD_PROGRESS = gr.Progress()  # Gradio gives each call its own tracker


class AdminHandlers:
    """The services, the per-user rate limit, and the administration's handlers."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.limiter = RateLimiter(settings.chat.rate_per_s, settings.chat.burst)

    def _too_many(self, request: gr.Request | None) -> str | None:
        """A Swedish message when this user (signed in with a key: the key's record; else
        the user name, or the client address) has used up the chat's rate
        (NARA_CHAT_RATE_PER_S, _BURST); else None. Without a request (a direct call, not
        through Gradio) nothing is limited."""
        if request is None:
            return None
        host = request.client.host if request.client is not None else None
        who = self.identity(request).actor or chat_client(request.username, host)
        wait = self.limiter.wait_s(who)
        if not wait:
            return None
        message, hint = too_many(self.limiter, wait, "dig", "NARA_CHAT_RATE_PER_S")
        return f"{message} {hint}"

    def identity(self, request: Any) -> ChatIdentity:
        """Who uses a chat event (`ui.chat.identity.chat_identity`)."""
        services = self.services
        return chat_identity(request, services.settings, services.keys, services.chat_sessions)

    def actor(self, request: Any) -> str:
        """Whom the audit log names for a chat event: a key sign-in's record, else the
        signed-in user or the client address (`chat_user`)."""
        return self.identity(request).actor or chat_user(request)

    def _not_admin(self, request: gr.Request | None, outcome: str) -> str | None:
        """A Swedish refusal unless the session's user administers (signed in with an
        admin key, or with OpenID Connect in an administrator group)."""
        if self.identity(request).admin:
            return None
        return f"**Du är inte administratör.** {outcome}"

    @property
    def kb(self) -> KnowledgeBase:
        return self.services.kb

    def reader(self, request: Any) -> Access:
        """What the user of a chat event may read (`ChatIdentity.access`)."""
        return self.identity(request).access

    def admin_panel_shown(self, request: gr.Request | None = None) -> Any:
        """The administration is shown to administrators only."""
        return gr.update(visible=self.identity(request).admin)

    # chat
    def upload(
        self,
        files: list[str] | None,
        groups: str | None = None,
        request: gr.Request | None = None,
        progress: gr.Progress = UPLOAD_PROGRESS,
    ) -> tuple[str, Any]:
        """Read in the uploaded `files` (administrators only). Refused, they stay selected
        (and on disk, under the data dir, until NARA_CHAT_UPLOAD_MAX_AGE_S) for a retry;
        once read in, successfully or not, they and their staged copies are deleted and
        the selection is cleared. The selection is kept by returning it, never by an
        update (see `without_leaked_files`). `groups`: who may read them (separated by
        commas; empty: NARA_ACCESS_DEFAULT), unless a sidecar says."""
        if refused := self._too_many(request):
            return refused, files
        if refused := self._not_admin(request, "Inget lästes in."):
            return refused, files
        if not files:
            return "Välj en eller flera filer att läsa in.", files
        folder = upload_folder(self.services.settings)
        try:
            chosen = normalise_groups((groups or "").split(","))
            user = self.actor(request)
            return self._ingest_uploads(files, folder, progress, user, chosen), None
        finally:
            remove_uploads(files, folder)

    def _ingest_uploads(
        self,
        files: list[str],
        folder: Path,
        progress: gr.Progress,
        user: str,
        groups: tuple[str, ...] = (),
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
                    entry.groups = list(groups or self.services.settings.access_default)
                    report = self.kb.ingest(paths, progress=step, access=groups)
                    uploaded(entry, report)
            except NaraError as error:  # busy store, full disk, shutting down: its own words
                return f"**Inläsningen misslyckades.** {error}"
            except Exception:
                log.exception("upload failed")
                return "Inläsningen misslyckades. Inget nytt sparades; välj filerna igen."
        errors = [ingest_messages.ingest_error_message(e, Path(e.path).name) for e in report.failed]
        return ingest_messages.ingest_summary(
            len(report.added), len(report.updated), len(report.unchanged), errors, report.flags
        )

    def ask_remove(
        self, doc_id: str | None, request: gr.Request | None = None
    ) -> tuple[Any, str, str | None, str]:
        """The confirmation before a removal: (the question's row shown, the question
        naming the document, the id awaiting confirmation, the status cleared)."""
        if not doc_id:
            return gr.update(visible=False), "", None, "Välj ett dokument att ta bort."
        title = {d.doc_id: d.title for d in self.kb.documents(self.reader(request))}.get(doc_id)
        if title is None:
            return gr.update(visible=False), "", None, "Dokumentet finns inte längre."
        named = plain_links(html.escape(f"”{title}” ({doc_id})", quote=False))
        question = f"**Ta bort {named}?** Dokumentet tas bort ur sökningen och registren."
        return gr.update(visible=True), question, doc_id, ""

    @staticmethod
    def cancel_remove() -> tuple[Any, str, None, str]:
        return gr.update(visible=False), "", None, "Inget togs bort."

    @staticmethod
    def cancel_remove_quietly() -> tuple[Any, str, None]:
        return gr.update(visible=False), "", None

    def remove(self, doc_id: str | None, request: gr.Request | None = None) -> str:
        if refused := self._too_many(request):
            return refused
        if refused := self._not_admin(request, "Inget togs bort."):
            return refused
        if not doc_id:
            return "Välj ett dokument att ta bort."
        try:
            with self.services.audit.action("chat", self.actor(request), "removal") as entry:
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
