"""Every supported export format, as importers (the ingest pipeline and its worker both ask here)."""

from __future__ import annotations

from shizu.ingest.base import Importer


def importers() -> list[Importer]:
    """Every supported format, most specific first."""
    from shizu.ingest.data_package import DataPackageImporter
    from shizu.ingest.dce_csv import DceCsvImporter
    from shizu.ingest.dce_json import DceJsonImporter
    from shizu.ingest.telegram import TelegramImporter
    from shizu.ingest.whatsapp import WhatsAppImporter

    return [DceJsonImporter(), DceCsvImporter(), DataPackageImporter(), TelegramImporter(), WhatsAppImporter()]
