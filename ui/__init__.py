"""The interfaces, one package each, over a shared application layer:

- `ui.app`: what every interface shares: the services (`ui.app.services`), the JSON
  shapes of the CLI, the API and Teams (`ui.app.schemas`), who reads what
  (`ui.app.access`), keys, the audit log, feedback, rate limits and shared Swedish text;
- `ui.cli`: the command line (`nara`);
- `ui.http`: the REST API (`/v1`, `/healthz`, `/readyz`), one router per resource;
- `ui.chat`: the staff chat (Gradio) and its sign-in (a key, or OpenID Connect);
- `ui.teams`: the Teams bot (`/api/messages`);
- `ui.server`: the app that puts the API, Teams and the chat together.

No package imports another interface's package; each imports `ui.app`. Nothing here
runs at import time.
"""
