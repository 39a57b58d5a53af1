"""Loaders and parsing: files become documents with structure and metadata."""

from ingest.loaders import SUPPORTED, document_id, expand_paths, load_document
from ingest.model import Block, Document, DocumentMetadata

__all__ = [
    "SUPPORTED",
    "Block",
    "Document",
    "DocumentMetadata",
    "document_id",
    "expand_paths",
    "load_document",
]
