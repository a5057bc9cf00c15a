"""The training set (``shizu build``): from the message store to ``dataset/``; format in ``docs/dataset-format.md``."""
