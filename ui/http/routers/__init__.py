"""One router per resource of the REST API; `ui.http.api.add_api` includes them under
`/v1` (the probes at the root)."""
