"""`/v1/documents`: the list (any key), upload and removal (an admin key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ui.app.audit_actions import uploaded
from ui.app.document_schemas import (
    DocumentOut,
    DocumentsResponse,
    PersonalDataOut,
    RemovedResponse,
    UploadResponse,
)
from ui.app.errors import ApiError
from ui.app.limits import MAX_UPLOAD_FILES
from ui.app.schemas import FlagOut
from ui.http.deps import ApiKey, ServicesDep, admin_key, key_name, reader
from ui.http.responses import documented
from ui.http.uploads import UPLOAD_BODY, check_uploads, failure, save_and_ingest, upload_groups


def list_documents(services: ServicesDep, key: ApiKey) -> DocumentsResponse:
    """The stored documents the key may read, with their metadata: the shape of `nara
    documents --json`."""
    docs = services.kb.documents(reader(services, key))
    return DocumentsResponse(documents=[DocumentOut.of(d) for d in docs])


def remove_document(document_id: str, services: ServicesDep, key: ApiKey) -> RemovedResponse:
    """Remove a document (admin key). 404 when there is no such document; 503 when
    another write holds the store longer than NARA_SERVE_WRITE_WAIT_S."""
    with services.audit.action("api", key_name(services, key), "removal") as entry:
        entry.documents = [document_id]
        record = services.kb.remove(document_id)
    return RemovedResponse(removed=DocumentOut.of(record))


async def upload_documents(request: Request, services: ServicesDep, key: ApiKey) -> JSONResponse:
    """Ingest one or more files (admin key), sent as multipart/form-data parts named
    `files`. A document's id comes from its file name, so uploading a file again replaces
    the earlier version. 415 for an unsupported type, 413 for a file over NARA_MAX_FILE_MB
    (nothing is stored then). A file that cannot be read is listed in `failed` (status 200
    when some other file was stored, 422 when none was)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise ApiError(
            415,
            "Upload files as multipart/form-data.",
            "Send one or more file parts named 'files', e.g. curl -F files=@plan.pdf.",
        )
    with services.audit.action("api", key_name(services, key), "upload") as entry:
        async with request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FILES) as form:
            uploads = [v for _, v in form.multi_items() if isinstance(v, UploadFile)]
            groups = upload_groups(str(v) for v in form.getlist("access") if isinstance(v, str))
            entry.groups = list(groups or services.settings.access_default)
            items = check_uploads(uploads, int(services.settings.max_file_mb * 1e6))
            report = await run_in_threadpool(save_and_ingest, items, services, groups)
        uploaded(entry, report)
    failed = [failure(err) for err in report.failed]
    stored = report.added or report.updated or report.unchanged
    body = UploadResponse(
        ok=not failed,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        failed=failed,
        chunks=report.chunks,
        flags={name: [FlagOut.of(f) for f in found] for name, found in report.flags.items()},
        personal_data={
            name: [PersonalDataOut(kind=f.kind, page=f.page, section=f.section) for f in found]
            for name, found in report.personal_data.items()
        },
    )
    return JSONResponse(body.model_dump(), status_code=200 if stored or not failed else 422)


def router(upload_limit: int) -> APIRouter:
    """The routes; an upload request's body is at most `upload_limit` bytes."""
    routes = APIRouter(prefix="/documents", tags=["documents"])
    routes.add_api_route("", list_documents, methods=["GET"], responses=documented())
    routes.add_api_route(
        "",
        upload_documents,
        methods=["POST"],
        dependencies=[Depends(admin_key)],
        response_model=UploadResponse,
        responses=documented(413, 415),
        openapi_extra=UPLOAD_BODY,
        max_body_size=upload_limit,
    )
    routes.add_api_route(
        "/{document_id}",
        remove_document,
        methods=["DELETE"],
        dependencies=[Depends(admin_key)],
        responses=documented(404),
    )
    return routes
