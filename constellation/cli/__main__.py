"""``python -m constellation.cli``."""

from . import main

main()
