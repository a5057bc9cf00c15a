"""Frontends: where people meet the persona (DESIGN.md §9). Each one drives the same
:class:`shizu.persona.Persona` and imports nothing from the training side."""
