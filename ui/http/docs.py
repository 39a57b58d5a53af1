"""/docs (Swagger UI) and /redoc (ReDoc) served offline: their JavaScript, CSS and icon
come from the installed `fastapi-offline` package (which ships the Swagger UI and ReDoc
bundles), not from a CDN, because the assistant runs where there is no internet.

Only the asset files of that package are used; the app stays a plain `FastAPI` created
with `docs_url=None, redoc_url=None`, and `add_offline_docs` adds the two pages."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ui.http.docs_access import Guard, Guarded, refusal

DOCS_URL, REDOC_URL, OPENAPI_URL = "/docs", "/redoc", "/openapi.json"
ASSETS_URL = "/docs-assets"
"""Where the bundled Swagger UI and ReDoc files are served."""
ASSET_PACKAGE = "fastapi_offline"
SWAGGER_JS, SWAGGER_CSS = "swagger-ui-bundle.js", "swagger-ui.css"
REDOC_JS, FAVICON = "redoc.standalone.js", "favicon.png"
OFFLINE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:"
)
"""Content-Security-Policy of the two pages: nothing is loaded from elsewhere (ReDoc's
bundle shows a logo from its vendor's CDN; the browser does not ask for it). The pages'
own inline start-up script and styles are allowed."""


def assets_dir() -> Path:
    """The folder of the installed package's static files (checked to hold every file
    used here, so a changed package fails at start, not as a blank page)."""
    folder = Path(str(files(ASSET_PACKAGE) / "static"))
    missing = [
        n for n in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON) if not (folder / n).is_file()
    ]
    if missing:
        raise RuntimeError(f"{ASSET_PACKAGE} lacks {', '.join(missing)} in {folder}")
    return folder


def _offline(response: HTMLResponse) -> HTMLResponse:
    response.headers["Content-Security-Policy"] = OFFLINE_POLICY
    return response


def add_offline_docs(app: FastAPI, guard: Guard | None = None) -> None:
    """Mount the assets and add GET /docs, /redoc and /openapi.json (the app is made with
    `openapi_url=None`). Call before anything mounted at "/". `guard`: who may read them
    (`ui.http.docs_access`); the others get 401 with a Basic challenge."""
    allowed: Guard = guard or (lambda _conn: True)
    assets = StaticFiles(directory=assets_dir())
    app.mount(ASSETS_URL, Guarded(assets, allowed), name="docs-assets")
    openapi_url = OPENAPI_URL

    @app.get(OPENAPI_URL, include_in_schema=False)
    def openapi(request: Request) -> Response:
        if not allowed(request):
            return refusal()
        return JSONResponse(app.openapi())

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> Response:
        if not allowed(request):
            return refusal()
        return _offline(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} – API",
                swagger_js_url=f"{ASSETS_URL}/{SWAGGER_JS}",
                swagger_css_url=f"{ASSETS_URL}/{SWAGGER_CSS}",
                swagger_favicon_url=f"{ASSETS_URL}/{FAVICON}",
            )
        )

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> Response:
        if not allowed(request):
            return refusal()
        return _offline(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} – API",
                redoc_js_url=f"{ASSETS_URL}/{REDOC_JS}",
                redoc_favicon_url=f"{ASSETS_URL}/{FAVICON}",
                with_google_fonts=False,
            )
        )
