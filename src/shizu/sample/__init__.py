"""A deterministic sample export: the persona "Mika" chatting with friends, as DiscordChatExporter
JSON plus her own Discord data package, for demos, tests and benchmarks (``shizu sample``).

:func:`shizu.sample.generate.write_sample` is the entry point; ``docs/sample-persona.md`` describes
the persona's style (what a model trained on the sample should pick up) and the facts she states
and is asked about later (:mod:`shizu.sample.facts`).
"""
