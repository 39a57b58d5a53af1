"""Chunking, embeddings, the vector store (Chroma) and hybrid retrieval."""
