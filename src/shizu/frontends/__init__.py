"""Frontends: where people meet the persona (ARCHITECTURE.md). Each one drives the same
:class:`shizu.persona.Persona` and imports nothing from the training side."""
