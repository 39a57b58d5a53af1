"""Foundation shared by every layer: typed settings and errors that say what to do.

Layers, lowest first: nara → ingest → knowledge → assistant → evals → ui.
Nothing imports from a layer above it (tests/test_layers.py checks this).
"""
