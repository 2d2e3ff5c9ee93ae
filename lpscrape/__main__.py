"""`python -m lpscrape` runs the CLI."""

from lpscrape.cli import main

raise SystemExit(main())
