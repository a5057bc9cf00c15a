"""Ingest: read chat exports (format sniffed from content) into the message store."""
