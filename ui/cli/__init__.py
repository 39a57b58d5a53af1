"""The command line, `nara` (`ui.cli.commands`). `main` is the console script's entry
point; the commands are imported when it runs, not with this package."""

from __future__ import annotations


def main() -> None:
    """Run `nara` with the process's arguments (`ui.cli.commands.main`)."""
    from ui.cli.commands import main as run

    run()
