"""The clients and the load of the HTTP benchmark (evals/bench_http.py), and its slow
key endpoint.

- `ask`: posts the gold questions to `POST /v1/ask` in rotation, with its own API key;
- `churn`: uploads a small generated document (`POST /v1/documents`) and deletes it,
  again and again, with the admin key;
- `flood`: posts to the Teams endpoint with forged tokens (RS256, signed by a key of its
  own, a new unknown key id each time), so that every request asks the server to fetch
  the signing keys, from `SlowJwks`, which answers only after `delay_s`.

Each returns a `ClientLog`: latencies of the requests that got the status expected
(200 for the API, 401 for a forged token) and the count of everything else by kind.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

TEAMS_ISSUER = "https://api.botframework.com"  # the Bot Framework issuer (ui/teams/auth.py)
REQUEST_TIMEOUT_S = 120.0


@dataclass
class ClientLog:
    latencies: list[float] = field(default_factory=list)
    refused_answers: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def timed(self, client: httpx.Client, expected: int, method: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        """One request; its latency is logged when it has the `expected` status, else
        the status (or the exception's name) is counted as an error. The response, or
        None."""
        start = time.perf_counter()
        try:
            response = client.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.error(type(exc).__name__)
            return None
        if response.status_code != expected:
            route = "/".join(path.split("/")[:3])  # without a document id
            self.error(f"{method} {route}: HTTP {response.status_code}")
            return None
        self.latencies.append(time.perf_counter() - start)
        return response


def rounds(until: float, start: int = 0) -> Iterator[int]:
    """Round numbers of a client from `start`: the first always (a loaded machine may
    pass `until` before a client has started), then more until `until`."""
    n = start
    while n == start or time.monotonic() < until:
        yield n
        n += 1


def ask(base_url: str, key: str, questions: list[str], offset: int, until: float) -> ClientLog:
    log = ClientLog()
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        i = offset
        for _ in rounds(until):
            response = log.timed(
                client, 200, "POST", "/v1/ask", json={"question": questions[i % len(questions)]}
            )
            i += 1
            if response is not None:
                log.refused_answers += bool(response.json().get("refused"))
    return log


CHURN_TEXT = """# Rutin för mätning {n}

## Ansvar

Enhetschefen ansvarar för mätning nummer {n} av väntetiderna i hemtjänsten.
"""


def churn(base_url: str, admin_key: str, until: float) -> ClientLog:
    """Upload a new small document, then delete it, until `until`."""
    log = ClientLog()
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=REQUEST_TIMEOUT_S) as client:
        for n in rounds(until, start=1):
            name = f"bench-churn-{n}.md"
            body = CHURN_TEXT.format(n=n).encode("utf-8")
            files = [("files", (name, body))]
            if log.timed(client, 200, "POST", "/v1/documents", files=files) is not None:
                log.timed(client, 200, "DELETE", f"/v1/documents/bench-churn-{n}")
    return log


def forged_token(key: rsa.RSAPrivateKey, app_id: str) -> str:
    """A well-formed Bot Framework token signed by a key the server cannot know, under a
    key id it has never seen."""
    now = int(time.time())
    claims = {"iss": TEAMS_ISSUER, "aud": app_id, "iat": now, "nbf": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": uuid.uuid4().hex})


def flood(base_url: str, app_id: str, until: float) -> ClientLog:
    """Forged tokens at `/api/messages` until `until`; each must get 401."""
    log = ClientLog()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    activity = {"type": "message", "text": "Vem ansvarar?", "channelId": "msteams"}
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for _ in rounds(until):
            token = forged_token(key, app_id)
            headers = {"Authorization": f"Bearer {token}"}
            log.timed(client, 401, "POST", "/api/messages", json=activity, headers=headers)
    return log


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, as in `evals.bench`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- the load ---------------------------------------------------------------------------
def run_load(
    url: str,
    keys: list[str],
    admin_key: str,
    questions: list[str],
    seconds: float,
    with_flood: bool,
    app_id: str = "",
) -> dict[str, Any]:
    """One run against the server at `url`: an `ask` client per key, one `churn`, and
    `flood` (forged tokens for the Teams app `TEAMS_APP_ID`) when `with_flood`."""
    until = time.monotonic() + seconds
    jobs: dict[str, Any] = {
        f"ask-{n}": (ask, url, k, questions, n, until) for n, k in enumerate(keys)
    }
    jobs["churn"] = (churn, url, admin_key, until)
    if with_flood:
        jobs["flood"] = (flood, url, app_id, until)
    logs: dict[str, ClientLog] = {}

    def work(name: str) -> None:
        fn, *args = jobs[name]
        logs[name] = fn(*args)

    threads = [threading.Thread(target=work, args=(name,)) for name in jobs]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    asked = [v for name, log in logs.items() if name.startswith("ask") for v in log.latencies]
    errors: dict[str, int] = {}
    for log in logs.values():
        for kind, n in log.errors.items():
            errors[kind] = errors.get(kind, 0) + n
    ms = [x * 1000 for x in asked]
    flood_log = logs.get("flood", ClientLog())
    return {
        "seconds": round(wall, 1),
        "ask_clients": len(keys),
        "answered_200": len(asked),
        "refused_answers": sum(log.refused_answers for log in logs.values()),
        "throughput_rps": round(len(asked) / wall, 2) if wall else 0.0,
        "latency_ms": {
            name: round(percentile(ms, q), 1) if ms else None
            for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))
        },
        "uploads_and_deletes": len(logs["churn"].latencies),
        "forged_401": len(flood_log.latencies),
        "forged_p95_ms": round(percentile(flood_log.latencies, 0.95) * 1000, 1)
        if flood_log.latencies
        else None,
        "errors": sum(errors.values()),
        "error_kinds": errors,
    }


# -- the slow key endpoint ----------------------------------------------------------------
@contextmanager
def slow_jwks(delay_s: float) -> Iterator[str]:
    """A JWKS server on loopback that answers every GET after `delay_s` with an empty key
    set; yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(delay_s)
            body = json.dumps({"keys": []}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the server gave up waiting (its timeout): expected
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/keys"
    finally:
        server.shutdown()
        server.server_close()
