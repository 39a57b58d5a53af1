"""Interfaces: the command line (and later the Gradio chat, the REST API and Teams)."""
