"""``shizu discord``: the persona as a Discord bot, on discord.py (docs/discord.md).

:mod:`.triggers` decides when it answers, :mod:`.queue` holds what waits for the model,
:mod:`.context` reads the conversation the way the training set wrote it, :mod:`.outgoing` turns
a persona message into Discord posts, :mod:`.commands` are the owner's, and :mod:`.bot` wires it
all to discord.py; :mod:`.launch` is the command itself. Importing this package loads discord.py:
the CLI only does so when the command runs.
"""
