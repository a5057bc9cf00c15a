"""Everything the request handlers share: the workspace, the served models, the limits, the key,
the address the server listens on."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from fastapi import Request

from shizu.chat.media import MediaItem
from shizu.config import ServeConfig
from shizu.frontends.web.blind import BlindTest
from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.inert import MediaFile, media_file
from shizu.frontends.web.models import ServedModel
from shizu.workspace import Workspace


@dataclass
class Site:
    """One running server: ``models`` in the order given (the first is the default)."""

    ws: Workspace
    models: list[ServedModel]
    settings: ServeConfig = field(default_factory=ServeConfig)
    api_key: str | None = None  # None: no key needed
    host: str = "127.0.0.1"  # the bind address: which Host names are answered, whether cookies are Secure

    @property
    def default(self) -> ServedModel:
        return self.models[0]

    @property
    def persona_name(self) -> str:
        return self.default.persona.name

    def model(self, name: str | None, param: str = "model") -> ServedModel:
        """The served model called ``name`` (``None`` or empty: the default one), else 404."""
        if not name:
            return self.default
        for model in self.models:
            if model.id == name:
                return model
        served = ", ".join(m.id for m in self.models)
        raise ApiError(
            404, f"The model {name!r} does not exist on this server; it serves: {served}", param=param, code="model_not_found"
        )

    @cached_property
    def blind(self) -> BlindTest:
        """The blind test on the workspace's held-out conversations (read on first use)."""
        return BlindTest(self.ws)

    @cached_property
    def media(self) -> tuple[MediaItem, ...]:
        """The catalogue items the page may show, numbered for ``/media/<n>`` (all models share the dataset)."""
        return self.default.persona.catalogue.items

    @cached_property
    def media_numbers(self) -> dict[MediaItem, int]:
        numbers: dict[MediaItem, int] = {}
        for number, item in enumerate(self.media):
            numbers.setdefault(item, number)
        return numbers

    def media_file(self, item: MediaItem) -> tuple[int, MediaFile] | None:
        """``item``'s number and its local file, checked now (:func:`.inert.media_file`), if both exist."""
        number = self.media_numbers.get(item)
        found = media_file(item) if number is not None else None
        return None if found is None or number is None else (number, found)


def site_of(request: Request) -> Site:
    """The :class:`Site` of the application handling ``request``."""
    return request.app.state.site
