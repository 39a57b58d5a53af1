"""How a dense search asks Chroma for the nearest chunks of some document versions
without filtering on every live version.

A Chroma query with a metadata filter costs time in proportion to the chunks it admits:
measured with chromadb 1.5.9, embedded, on 18 000 random 384-dimensional vectors of
400 versions (the size of the sample ×100; 2 cores), 140 ms with `key $in [400 keys]`,
27 ms with one key, 4 ms for the 100 nearest without a filter and 9 ms for the 400
nearest. So a search that admits most of the store asks
for the nearest chunks of the whole collection, a few more than it needs, and drops
those of versions it does not admit. Chunks of a version that is not live exist only
while a replace is in flight (new chunks are written before the commit, old ones deleted
after it) or after a crashed write (swept at the next write of that document); the
version keys the caller passes (`DocumentRecord.key` of the live records it read) decide
what is admitted, exactly as the filter did, so a search sees one version of each
document. When too few admitted chunks come back from a full answer, or the caller
admits a small part of the store (a search restricted to one document or organisation),
the filtered query is used as before.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.store import DocumentRecord

OVERFETCH = 20
"""Nearest chunks asked for beyond what the admitted share needs: room for the chunks of
versions in flight. A replace in flight adds one document's chunks (45 on average in
the sample corpus) of which only those near the question compete; when they crowd out
admitted ones, the filtered query answers instead (never a wrong result, only slower)."""
MIN_SHARE = 0.25
"""Share of the store's chunks a search must admit to go unfiltered. Below it the
over-fetch (k / share) would exceed ~4 k nearest chunks, where a filtered query over a
small admitted set is about as fast (27 ms for one version at ×100, see above)."""
MAX_UNFILTERED = 1000
"""Most nearest chunks asked for without a filter (HNSW's answer slows with it)."""


def unfiltered_size(k: int, wanted: set[str], records: Iterable[DocumentRecord]) -> int | None:
    """How many nearest chunks to ask for without a filter to find the k nearest of the
    versions `wanted`, or None when a filtered query is the better plan (they hold less
    than `MIN_SHARE` of the chunks of `records`, the live documents)."""
    total = admitted = 0
    for record in records:
        total += record.n_chunks
        if record.key in wanted:
            admitted += record.n_chunks
    if total <= 0 or admitted <= 0 or admitted < MIN_SHARE * total:
        return None
    size = math.ceil(k * total / admitted) + OVERFETCH
    return size if size <= MAX_UNFILTERED else None


def where_keys(keys: Sequence[str]) -> dict[str, object]:
    """The Chroma filter that admits the chunks of these versions."""
    return {"key": keys[0]} if len(keys) == 1 else {"key": {"$in": list(keys)}}
