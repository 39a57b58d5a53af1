"""Bounds on the chat's own HTTP surface (Gradio's routes under "/"), kept apart from the
wiring in ui/chat/app.py.

- Uploads live under the data dir: Gradio reads its upload folder only from the
  GRADIO_TEMP_DIR variable (`gradio.utils.get_upload_folder`), for the whole process, so
  `use_upload_folder` sets it to `data_dir/chat-uploads` before the chat is built. Files are
  removed after they are read in (`remove_uploads`); files uploaded and never read in are
  removed by Gradio's `delete_cache` after `settings.chat.upload_max_age_s`.
- Unknown paths and wrong methods under the chat's mount answer the API's documented
  `{"error", "hint", "request_id"}` body (`install_not_found`), through `ui.app.errors.http_error`.
- Text the chat receives is capped before it is shown or stored (`shown_text`).
- `without_leaked_files`: Gradio 6's `File` opens an empty temporary file in the upload
  folder for every file it hands to a handler, and never closes or removes it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import gradio as gr
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from gradio.data_classes import FileData
from gradio.utils import NamedString
from gradio_client.utils import is_valid_file
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount

from assistant.service import is_text
from nara.settings import Settings
from ui.app.errors import http_error

log = logging.getLogger(__name__)

UPLOAD_FOLDER = "chat-uploads"
GRADIO_TEMP_DIR = "GRADIO_TEMP_DIR"
DOCUMENTED_STATUSES = (404, 405)  # the router's own answers; others keep Gradio's body
ELLIPSIS = "…"


def upload_folder(settings: Settings) -> Path:
    """Where the chat's uploads are written: `data_dir/chat-uploads`, absolute."""
    return (settings.data_dir / UPLOAD_FOLDER).resolve()


def use_upload_folder(settings: Settings) -> Path:
    """Point Gradio's upload folder (GRADIO_TEMP_DIR, process-wide) at `upload_folder`,
    create it, and return it. Call before the chat's components are built: each reads the
    folder when created."""
    folder = upload_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    previous = os.environ.get(GRADIO_TEMP_DIR)
    if previous and Path(previous).resolve() != folder:
        log.warning("GRADIO_TEMP_DIR=%s is replaced by %s (the data dir).", previous, folder)
    os.environ[GRADIO_TEMP_DIR] = str(folder)
    return folder


def remove_uploads(files: Iterable[str], folder: Path) -> None:
    """Delete uploaded files that lie inside `folder`, and the per-file folder Gradio made
    for each, when it is left empty. Paths outside `folder` are left alone."""
    for file in files:
        path = Path(file).resolve()
        if not path.is_relative_to(folder) or path == folder:
            continue
        path.unlink(missing_ok=True)
        parent = path.parent
        if parent != folder and parent.is_relative_to(folder) and not any(parent.iterdir()):
            parent.rmdir()


def shown_text(text: str, limit: int) -> str:
    """`text` as it may be shown back: at most `limit` characters (then "…"), and any
    character that cannot be written as UTF-8 replaced."""
    cut = text if len(text) <= limit else text[:limit] + ELLIPSIS
    if is_text(cut):
        return cut
    return cut.encode("utf-8", "replace").decode("utf-8")


def without_leaked_files(component: gr.File) -> gr.File:
    """`component`, handing its files' paths to handlers as Gradio's `File` does (the same
    type check) but without opening a temporary file per file (gradio 6.x,
    `File._process_single_file`), which would stay in the upload folder until removed by
    age. Set on the instance, since a subclass would make Gradio write a .pyi stub into
    the source tree (`gradio.component_meta`); so a handler must never return an update
    (`gr.update()`, `gr.skip()`) for it: Gradio would replace it, per session, with a new
    plain `File`."""

    def process(f: FileData) -> NamedString:
        if component.file_types and not is_valid_file(f.path, component.file_types):
            raise gr.Error(f"Filtypen stöds inte. Tillåtna: {', '.join(component.file_types)}.")
        return NamedString(f.path)

    component._process_single_file = process  # type: ignore[method-assign]
    return component


def mounted_app(app: FastAPI, path: str = "") -> FastAPI | None:
    """The app mounted at `path` ("" is "/") of `app`, if any."""
    for route in app.routes:
        if isinstance(route, Mount) and route.path == path and isinstance(route.app, FastAPI):
            return route.app
    return None


def install_not_found(chat_app: FastAPI) -> None:
    """404 and 405 of the chat's app get the documented error body; any other HTTP error
    keeps Gradio's own (its browser client reads `detail`)."""

    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in DOCUMENTED_STATUSES:
            return await http_error(request, exc)
        return await http_exception_handler(request, exc)

    chat_app.add_exception_handler(HTTPException, handler)
