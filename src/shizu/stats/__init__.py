"""``shizu stats``: what is in the message store (counts, channels, who "me" is, activity), for the
terminal, ``--json`` and an HTML report. Reads the store only; runs any time after ``shizu ingest``.
"""
