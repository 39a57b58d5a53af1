"""Gold questions, metrics and reports."""
