"""Bounds of request bodies, shared by the REST API and the chat's upload route (one
middleware, `ui.http.middleware.BodyLimit`, applies them to both)."""

JSON_BODY_LIMIT = 2_000_000
"""Largest JSON request body (bytes) on `/v1` and the chat's routes; uploads have their
own limit."""
MAX_UPLOAD_FILES = 20
"""Most files in one upload request."""
MULTIPART_OVERHEAD = 1_000_000
"""Bytes an upload request may hold beyond its files (multipart headers, fields)."""
CHAT_UPLOAD_PATH = "/gradio_api/upload"
"""The chat's (Gradio's) upload route; each file there is also bounded by max_file_mb."""
SIDECAR_SUFFIX = ".meta.yaml"
"""The name ending of a metadata sidecar, uploaded beside its document."""
