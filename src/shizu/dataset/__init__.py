"""Build: from the message store to the training set (``dataset/``), see ``docs/dataset-format.md``."""
