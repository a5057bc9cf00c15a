"""``python -m shizu.cli``: the same command as ``shizu`` (``accelerate launch -m shizu.cli`` uses it)."""

from shizu.cli import main

main()
