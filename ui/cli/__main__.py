"""`python -m ui.cli`: the same as `nara`."""

from ui.cli import main

main()
