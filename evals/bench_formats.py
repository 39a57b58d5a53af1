"""Benchmark (not a test): ingest throughput per format, reading only.

`python -m evals.bench_formats [--repeat N] [--json] [--out FILE]`

For txt and every writer folder of the format corpus (`tests/formats/<writer>/`, the
same four documents each), every file is read N times with `ingest.load_document`
(reader, structure, metadata: what differs between formats). Embedding and storing are
the same work for every format and are measured by `evals/bench.py`. The figures are
the median pass: documents and extracted characters per second, by wall clock and by
this process's CPU time (the CPU figure is the one to compare on a shared machine), and
the time relative to txt for the same documents. The load average is printed beside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

from evals.bench import emit, machine
from evals.formats import format_folders
from ingest import expand_paths, load_document

DEFAULT_REPEAT = 5  # passes per format; the median is reported


def bench_folder(folder: Path, repeat: int) -> dict[str, Any]:
    files = list(expand_paths([folder]))
    chars = sum(len(load_document(f).text) for f in files)  # also warms imports and caches
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for f in files:
            load_document(f)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "documents": len(files),
        "chars": chars,
        "wall_s": round(wall, 4),
        "cpu_s": round(cpu, 4),
        "docs_per_s": round(len(files) / wall, 2),
        "chars_per_s": round(chars / wall),
        "cpu_docs_per_s": round(len(files) / cpu, 2) if cpu else None,
        "cpu_chars_per_s": round(chars / cpu) if cpu else None,
    }


def run(repeat: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    rows = {name: bench_folder(path, repeat) for name, path in format_folders().items()}
    base = rows.get("txt", {}).get("cpu_s")
    for row in rows.values():
        row["cpu_vs_txt"] = round(row["cpu_s"] / base, 2) if base else None
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
        f"{load[3]} after; median of {result['repeat']} passes; reading only (no embedding).",
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
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingest throughput per format (reading only).")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = parser.parse_args()
    emit(run(args.repeat), markdown, args)


if __name__ == "__main__":
    main()
