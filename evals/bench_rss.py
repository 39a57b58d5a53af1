"""Where a serving process's memory goes (issue #15: the peak RSS growth at ×100).

    .venv/bin/python -m evals.bench_rss --data-dir STORE [--chroma-url URL
                                        --collection NAME] [--json]
    .venv/bin/python -m evals.bench_rss --embedded-scale 100 --cache VECTORS.pkl
                                        --data-dir WORK [--json]

The second form first builds embedded stores of the sample ×1 (ingested with the
passage vectors of `evals.bench`'s cache file, so nothing is embedded) and ×N (copied,
`evals.bench_bulk`) under WORK, then measures both.

In a fresh process, opens the store as `nara serve` does and reads its resident memory
(VmRSS, and the peak VmHWM) after each stage: the imports, the embedding model, the
store opened, the keyword index loaded, one dense query (which makes embedded Chroma
load the chunks' vector index), the spans of its chunks read (the spans' index), and
every gold question searched and its spans read. Each stage's growth is its cost; on
an embedded store the vector indexes live in this process, on a Chroma server in
Chroma's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

STAGES = """
import json, sys
from pathlib import Path

def status():
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return [round(int(fields[k].split()[0]) / 1024) for k in ("VmRSS", "VmHWM")]

marks = [("python", status())]
def mark(name):
    marks.append((name, status()))

from evals.retrieval import load_gold
from knowledge.base import KnowledgeBase
from nara.settings import load_settings
mark("imports (chromadb, numpy, the knowledge base)")
settings = load_settings(**json.loads(sys.argv[1]))
kb = KnowledgeBase(settings)
kb.embedder.embed_query("uppvärmning")
mark("embedding model loaded, store opened")
keys = [d.key for d in kb.documents()]
kb.keyword.ensure(keys, kb.store.chunks)
mark("keyword index %s (%d versions)" % (kb.keyword.last_update[0], len(keys)))
vector = kb.query_vectors("Vem ansvarar för uppföljningen?")
hits = kb.store.query(vector, 25, keys)
mark("one dense query")
kb.spans_for([c.chunk_id for c, _ in hits])
mark("the spans of its chunks read")
for question in load_gold():
    results = kb.search(question.retrieval_query)
    kb.spans_for([r.chunk.chunk_id for r in results])
mark("every gold question searched, its spans read")
print(json.dumps(marks))
"""


def measure(overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages in a fresh process on the store of `overrides` (Settings fields)."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", STAGES, json.dumps(overrides)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    out, before = [], marks[0][1][0]
    for name, (rss, peak) in marks:
        out.append({"stage": name, "rss_mb": rss, "growth_mb": rss - before, "peak_mb": peak})
        before = rss
    return out


def build_embedded(work: Path, scale: int, cache_file: Path) -> tuple[Path, Path]:
    """Embedded stores of the sample ×1 and ×`scale` under `work` (see the docstring)."""
    from evals.bench import CORPUS, CachingEmbedder
    from evals.bench_bulk import copy_store
    from knowledge.base import KnowledgeBase
    from knowledge.embedders import make_embedder
    from nara.settings import load_settings

    one, many = load_settings(data_dir=work / "x1"), load_settings(data_dir=work / f"x{scale}")
    embedder = CachingEmbedder(make_embedder(one.embedder), CachingEmbedder.load(cache_file))
    source = KnowledgeBase(one, embedder)
    if not source.documents():
        assert source.ingest([CORPUS]).ok
    target = KnowledgeBase(many, embedder)
    if not target.documents():
        with source.store._link.use() as read, target.store._link.use() as write:
            copy_store(read, write, CORPUS, range(1, scale + 1), many)
    return one.data_dir, many.data_dir


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| stage | RSS MB | growth MB | peak MB |", "|---|---:|---:|---:|"]
    lines += [f"| {r['stage']} | {r['rss_mb']} | {r['growth_mb']} | {r['peak_mb']} |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description="Memory of a serving process, stage by stage.")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--chroma-url")
    parser.add_argument("--collection")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--embedded-scale", type=int, help="build embedded ×1 and ×N first")
    parser.add_argument("--cache", type=Path, help="passage vectors (evals.bench's cache)")
    args = parser.parse_args()
    if args.embedded_scale:
        stores = build_embedded(args.data_dir, args.embedded_scale, args.cache)
        both = {p.name: measure({"data_dir": str(p)}) for p in stores}
        print(
            json.dumps(both, indent=2)
            if args.json
            else "".join(f"{name}:\n\n{markdown(rows)}\n" for name, rows in both.items()),
            end="",
        )
        return
    overrides: dict[str, Any] = {"data_dir": str(args.data_dir)}
    if args.chroma_url:
        overrides["chroma_url"] = args.chroma_url
    if args.collection:
        overrides["collection"] = args.collection
    rows = measure(overrides)
    print(json.dumps(rows, indent=2) if args.json else markdown(rows), end="")


if __name__ == "__main__":
    main()
