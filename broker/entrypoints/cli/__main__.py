"""``python -m broker.entrypoints.cli``."""

from broker.entrypoints.cli import main

main()
