"""`python -m lpscrape` runs the CLI."""

from lpscrape.cli import main

# Guarded: the store worker's process (multiprocessing, spawn) imports this module again.
if __name__ == "__main__":
    raise SystemExit(main())
