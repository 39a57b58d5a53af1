"""The hybrid search as a LangChain retriever, for chains and agents that expect one.

    retriever = NaraRetriever(retriever=kb, k=5, filters=SearchFilters(year=2024))
    docs = retriever.invoke("Vem ansvarar för kommunikationsplanen?")

Each `Document` is one chunk: `page_content` is the chunk's verbatim text and `metadata`
carries its source (document_id, title, file, section, page, char_start, char_end) and its
place in the result list (score, rank).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from knowledge.base import KnowledgeBase
from knowledge.retrieval import HybridRetriever, SearchFilters, SearchResult


def to_document(result: SearchResult) -> Document:
    chunk, doc = result.chunk, result.document
    metadata: dict[str, Any] = {
        "document_id": doc.doc_id,
        "title": doc.title,
        "file": doc.file,
        "section": chunk.section,
        "page": chunk.page,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "score": result.score,
        "rank": result.rank,
    }
    return Document(id=chunk.chunk_id, page_content=chunk.text, metadata=metadata)


class NaraRetriever(BaseRetriever):
    """Hybrid (dense + BM25) search over the knowledge base."""

    retriever: HybridRetriever | KnowledgeBase
    k: int = 5
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        results = self.retriever.search(query, self.k, self.filters)
        return [to_document(r) for r in results]
