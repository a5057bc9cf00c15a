"""``shizu eval``: how much the persona sounds like the person, side by side with the base model.

Every held-out persona turn of ``val.jsonl`` is replayed through the persona runtime for each
system (the base model without adapter, trained runs, servers), and the replies are measured the
same way as the person's real replies (docs/eval.md):

* :mod:`.heldout`: the held-out turns as live situations, and the training text by author;
* :mod:`.systems`, :mod:`.replay`: the systems and their replies, through :class:`~shizu.persona.Persona`;
* :mod:`.perplexity`: the real replies' perplexity under each system (teacher forcing);
* :mod:`.style`, :mod:`.authorship`, :mod:`.relevance`, :mod:`.safety`: the metrics;
* :mod:`.evaluate`: the whole run; :mod:`.report`, :mod:`.table`, :mod:`.page`, :mod:`.cli_view`:
  ``report.json``, the terminal table and ``report.html``.

Nothing here imports torch, transformers, scikit-learn or sentence-transformers until it runs.
"""
