"""The FastAPI application of ``shizu serve``: the API routers, the pages and the error format.

The pages (``/``, ``/collection``, ``/blind``) and their scripts and styles (``/static``) are
plain files with no data in them, served to anyone; everything they show comes from the API,
which needs the key when the server has one (the page then asks for it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from shizu.frontends.web import blind_api, openai_api, page_api
from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.site import Site

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "chat.html", "/collection": "collection.html", "/blind": "blind.html"}


def create_app(site: Site) -> FastAPI:
    """The application serving ``site``'s models; closing it stops their generation workers."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for model in site.models:
            model.queue.close()

    app = FastAPI(title="Shizu", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.site = site
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.include_router(openai_api.router)
    app.include_router(page_api.router)
    app.include_router(blind_api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for path, name in PAGES.items():
        app.add_api_route(path, _page(STATIC / name), methods=["GET"], include_in_schema=False)
    return app


def _page(path: Path) -> Callable[[], FileResponse]:
    def page() -> FileResponse:
        return FileResponse(path, media_type="text/html")

    return page


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return exc.response()


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body or parameter of the wrong shape: 400 naming the first field and what is wrong."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path"))
    message = f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid request"))
    return ApiError(400, message, param=where or None).response()
