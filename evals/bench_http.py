"""HTTP benchmark (not a test): concurrent `POST /v1/ask` against the real server.

    .venv/bin/python -m evals.bench_http [--clients 8] [--seconds 30] [--json]

Starts the server (`python -m ui.server`: the whole app, REST API, Teams endpoint and
chat) in a subprocess on loopback, with a fresh temporary store and generated API and
admin keys; the other settings (embedder, answerer) are the configured ones. The sample
corpus is uploaded through `POST /v1/documents`. After a few warm-up questions,
`--clients` threads, each with its own keep-alive connection, post the gold questions
(follow-ups left out) in rotation for `--seconds`. Reported: latency percentiles of the
answered requests, throughput (answered requests per second of wall time), errors
(non-200 or failed connections), and the server's peak resident memory (VmHWM), which
is reset after the upload so that it is the peak under load; the peak during the
upload is reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from evals.retrieval import load_gold

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SERVER_START_TIMEOUT_S = 300.0
UPLOAD_TIMEOUT_S = 1800.0


def percentile(values: list[float], q: float) -> float:
    """Nearest rank, as in `evals.bench`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status_kb(pid: int, field_name: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmHWM: peak resident memory; VmRSS: now)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# -- the server -------------------------------------------------------------------------
@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    ready: dict[str, Any] = field(default_factory=dict)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(data_dir: Path, api_key: str, admin_key: str, log_path: Path) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "NARA_DATA_DIR": str(data_dir),
        "NARA_API_KEYS": api_key,
        "NARA_ADMIN_KEYS": admin_key,
    }
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.server", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
            if ready.status_code == 200:
                server.ready = ready.json()
                return server
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise SystemExit(f"The server did not become ready. Its log:\n{server.log_tail()}")
        time.sleep(0.5)


def upload_corpus(server: Server, admin_key: str) -> dict[str, Any]:
    paths = sorted(p for p in CORPUS.iterdir() if p.is_file())
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    start = time.perf_counter()
    response = httpx.post(
        f"{server.base_url}/v1/documents",
        files=files,
        headers={"Authorization": f"Bearer {admin_key}"},
        timeout=UPLOAD_TIMEOUT_S,
    )
    seconds = time.perf_counter() - start
    body = response.json()
    if response.status_code != 200 or not body.get("ok"):
        server.stop()
        raise SystemExit(f"Uploading the corpus failed ({response.status_code}): {body}")
    return {"documents": len(body["added"]), "chunks": body["chunks"], "seconds": seconds}


# -- the load ---------------------------------------------------------------------------
@dataclass
class ClientLog:
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def run_client(
    base_url: str, api_key: str, questions: list[str], offset: int, step: int, until: float
) -> ClientLog:
    log = ClientLog()
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        i = offset
        while time.monotonic() < until:
            question = questions[i % len(questions)]
            i += step
            start = time.perf_counter()
            try:
                response = client.post("/v1/ask", json={"question": question})
            except httpx.HTTPError as exc:
                log.error(type(exc).__name__)
                continue
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                log.error(f"HTTP {response.status_code}")
                continue
            log.latencies.append(elapsed)
            log.refused += bool(response.json().get("refused"))
    return log


def run_load(
    base_url: str, api_key: str, questions: list[str], clients: int, seconds: float
) -> dict[str, Any]:
    logs = [ClientLog() for _ in range(clients)]
    start = time.monotonic()
    until = start + seconds

    def work(n: int) -> None:
        logs[n] = run_client(base_url, api_key, questions, n, clients, until)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    latencies = [x for log in logs for x in log.latencies]
    errors: dict[str, int] = {}
    for log in logs:
        for kind, n in log.errors.items():
            errors[kind] = errors.get(kind, 0) + n
    ms = [x * 1000 for x in latencies]
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(latencies) + sum(errors.values()),
        "answered_200": len(latencies),
        "refused_answers": sum(log.refused for log in logs),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "throughput_rps": round(len(latencies) / wall, 2) if wall else 0.0,
        "latency_ms": {
            "p50": round(percentile(ms, 0.50), 1) if ms else None,
            "p95": round(percentile(ms, 0.95), 1) if ms else None,
            "p99": round(percentile(ms, 0.99), 1) if ms else None,
            "max": round(max(ms), 1) if ms else None,
            "mean": round(sum(ms) / len(ms), 1) if ms else None,
        },
    }


# -- the run ----------------------------------------------------------------------------
def run(clients: int, seconds: float, warmup: int) -> dict[str, Any]:
    questions = [q.question for q in load_gold() if not q.history]
    api_key, admin_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="nara-bench-http-") as tmp:
        server = start_server(Path(tmp) / "store", api_key, admin_key, Path(tmp) / "server.log")
        try:
            pid = server.process.pid
            started_rss = proc_status_kb(pid, "VmRSS")
            upload = upload_corpus(server, admin_key)
            upload_peak = proc_status_kb(pid, "VmHWM")
            with httpx.Client(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=120,
            ) as client:
                for question in questions[:warmup]:
                    client.post("/v1/ask", json={"question": question}).raise_for_status()
            reset = reset_peak_rss(pid)
            load = run_load(server.base_url, api_key, questions, clients, seconds)
            peak = proc_status_kb(pid, "VmHWM")
            end_rss = proc_status_kb(pid, "VmRSS")
        finally:
            server.stop()
    return {
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}",
        "load_average_before": round(load_average, 2),
        "embedder": server.ready.get("embedder", "?"),
        "questions": len(questions),
        "warmup_requests": min(warmup, len(questions)),
        "corpus_upload": {k: round(v, 1) if isinstance(v, float) else v for k, v in upload.items()},
        "server_rss_mb": {
            "after_start": _mb(started_rss),
            "peak_during_upload": _mb(upload_peak),
            "peak_under_load": _mb(peak) if reset else None,
            "peak_overall": None if reset else _mb(peak),
            "at_end": _mb(end_rss),
        },
        "load": load,
    }


def _mb(kb: int | None) -> float | None:
    return round(kb / 1024, 1) if kb is not None else None


def markdown(result: dict[str, Any]) -> str:
    load, rss, lat = result["load"], result["server_rss_mb"], result["load"]["latency_ms"]
    up = result["corpus_upload"]
    peak = rss["peak_under_load"] if rss["peak_under_load"] is not None else rss["peak_overall"]
    rows = [
        ("clients", load["clients"]),
        ("duration (s)", load["seconds"]),
        ("requests (answered 200)", f"{load['requests']} ({load['answered_200']})"),
        ("errors", f"{load['errors']} {load['error_kinds'] or ''}".strip()),
        ("refused answers (200, status refused)", load["refused_answers"]),
        ("throughput (answers/s)", load["throughput_rps"]),
        ("latency p50 (ms)", lat["p50"]),
        ("latency p95 (ms)", lat["p95"]),
        ("latency p99 (ms)", lat["p99"]),
        ("latency max (ms)", lat["max"]),
        ("server peak RSS under load (MB, VmHWM)", peak),
        ("server RSS after start / at end (MB)", f"{rss['after_start']} / {rss['at_end']}"),
        ("server peak RSS during upload (MB)", rss["peak_during_upload"]),
        (
            "corpus upload",
            f"{up['documents']} documents, {up['chunks']} chunks, {up['seconds']} s",
        ),
    ]
    lines = [
        f"## HTTP benchmark: POST /v1/ask ({result['machine']}, "
        f"load average {result['load_average_before']} before the run)",
        "",
        f"{result['questions']} gold questions in rotation, {result['warmup_requests']} warm-up "
        f"requests first; embedder {result['embedder']}.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Concurrent POST /v1/ask against the server.")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the load")
    parser.add_argument("--warmup", type=int, default=5, help="sequential warm-up questions")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients must be at least 1 and --seconds positive")
    result = run(args.clients, args.seconds, args.warmup)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(markdown(result))


if __name__ == "__main__":
    main()
