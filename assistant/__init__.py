"""Answering with citations, refusal and conversation (built on `knowledge`)."""
