"""Benchmark (not a test): ingest throughput per format, reading only.

`python -m evals.bench_formats [--repeat N] [--full] [--only txt --only libreoffice …]
[--json] [--out FILE]`

For txt and every writer folder of the format corpus (`tests/formats/<writer>/`, the
same four documents each), every file is read N times with `ingest.load_document`
(reader, structure, metadata: what differs between formats): "parse only". With
`--full`, the folder is also ingested N times into a fresh temporary store with the
configured embedder (`KnowledgeBase.ingest`: reading, chunking, embedding, storing), the
figure the issue's throughput bar is about; embedding is the same work for every format
and dominates it. The figures are the median pass: documents and extracted characters
per second, by wall clock and by this process's CPU time (the CPU figure is the one to
compare on a shared machine), and the time relative to txt for the same documents. The
load average is printed beside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evals.bench import emit, machine
from evals.formats import format_folders
from ingest import expand_paths, load_document
from knowledge.base import KnowledgeBase
from nara.settings import load_settings

DEFAULT_REPEAT = 5  # passes per format; the median is reported


def _median_pass(work: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `repeat` runs of `work`."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _figures(files: int, chars: int, wall: float, cpu: float) -> dict[str, Any]:
    return {
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "docs_per_s": round(files / wall, 2),
        "chars_per_s": round(chars / wall),
        "cpu_docs_per_s": round(files / cpu, 2) if cpu else None,
        "cpu_chars_per_s": round(chars / cpu) if cpu else None,
    }


def _ingest(folder: Path) -> None:
    """The folder into a fresh temporary store, as `nara ingest` does."""
    with tempfile.TemporaryDirectory(prefix="nara-bench-") as tmp:
        settings = load_settings().model_copy(update={"data_dir": Path(tmp), "chroma_url": None})
        KnowledgeBase(settings).ingest([folder])


def bench_folder(folder: Path, repeat: int, full: bool = False) -> dict[str, Any]:
    files = list(expand_paths([folder]))
    chars = sum(len(load_document(f).text) for f in files)  # also warms imports and caches

    def parse() -> None:
        for f in files:
            load_document(f)

    row: dict[str, Any] = {"documents": len(files), "chars": chars}
    row |= _figures(len(files), chars, *_median_pass(parse, repeat))
    if full:
        full_row = _figures(len(files), chars, *_median_pass(lambda: _ingest(folder), repeat))
        row["full"] = full_row
    return row


def run(repeat: int, full: bool = False, only: list[str] | None = None) -> dict[str, Any]:
    load_before = os.getloadavg()
    folders = {k: v for k, v in format_folders().items() if not only or k in only}
    rows = {name: bench_folder(path, repeat, full) for name, path in folders.items()}
    base = rows.get("txt", {})
    for row in rows.values():
        row["cpu_vs_txt"] = round(row["cpu_s"] / base["cpu_s"], 2) if base else None
        if "full" in row and "full" in base:
            row["full"]["cpu_vs_txt"] = round(row["full"]["cpu_s"] / base["full"]["cpu_s"], 2)
    return {
        "machine": machine(),
        "load_average": [round(x, 1) for x in (*load_before, *os.getloadavg()[:1])],
        "repeat": repeat,
        "formats": rows,
    }


def markdown(result: dict[str, Any]) -> str:
    load = result["load_average"]
    lines = [
        f"Machine: {result['machine']}; load average {load[0]}/{load[1]}/{load[2]} before, "
        f"{load[3]} after; median of {result['repeat']} passes; parse only (reading, "
        "structure, metadata).",
        "",
        "| format | docs | chars | docs/s | chars/s | CPU docs/s | CPU chars/s | CPU vs txt |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result["formats"].items():
        lines.append(
            f"| {name} | {r['documents']} | {r['chars']} | {r['docs_per_s']} | "
            f"{r['chars_per_s']} | {r['cpu_docs_per_s']} | {r['cpu_chars_per_s']} | "
            f"{r['cpu_vs_txt']}× |"
        )
    full = {name: r["full"] for name, r in result["formats"].items() if "full" in r}
    if full:
        lines += [
            "",
            "Full ingest (reading, chunking, embedding, storing into a fresh store):",
            "",
            "| format | docs/s | CPU docs/s | CPU chars/s | CPU vs txt |",
            "|---|---|---|---|---|",
        ]
        for name, r in full.items():
            lines.append(
                f"| {name} | {r['docs_per_s']} | {r['cpu_docs_per_s']} | "
                f"{r['cpu_chars_per_s']} | {r.get('cpu_vs_txt')}× |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput per format (reading only).")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--full", action="store_true", help="also full ingest with embedding")
    parser.add_argument("--only", action="append", help="only this folder: txt or a writer")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = parser.parse_args()
    emit(run(args.repeat, args.full, args.only), markdown, args)


if __name__ == "__main__":
    main()
