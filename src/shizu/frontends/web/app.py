"""The FastAPI application of ``shizu serve``: the API routers, the pages and the error format.

The pages (``/``, ``/collection``, ``/blind``) and their scripts and styles (``/static``) are
plain files with no data in them, served to anyone; everything they show comes from the API,
which needs the key when the server has one (the page then asks for it). Every answer goes
through :class:`.security.Guard`: the ``Host`` check and the security headers (docs/security.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from shizu.collection.gallery import GALLERY_CSS
from shizu.frontends.web import auth, blind_api, openai_api, page_api
from shizu.frontends.web.hosts import WILDCARDS, allowed_names, lan_address
from shizu.frontends.web.http_errors import ApiError
from shizu.frontends.web.security import Guard, security_headers
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
    app.add_exception_handler(Exception, _internal_error)
    app.include_router(auth.router)
    app.include_router(openai_api.router)
    app.include_router(page_api.router)
    app.include_router(blind_api.router)
    app.add_api_route("/collection.css", _gallery_css, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for path, name in PAGES.items():
        app.add_api_route(path, _page(STATIC / name), methods=["GET"], include_in_schema=False)
    lan = lan_address() if site.host in WILDCARDS else None
    app.add_middleware(Guard, names=allowed_names(site.host, site.settings.allowed_hosts, lan))
    return app


def _page(path: Path) -> Callable[[], FileResponse]:
    def page() -> FileResponse:
        return FileResponse(path, media_type="text/html")

    return page


def _gallery_css() -> Response:
    """The collection gallery's style sheet (the page may not carry inline styles)."""
    return Response(GALLERY_CSS, media_type="text/css")


async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
    return exc.response()


async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body or parameter of the wrong shape: 400 naming the first field and what is wrong."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path"))
    message = f"{where}: {problem.get('msg', 'invalid')}" if where else str(problem.get("msg", "invalid request"))
    return ApiError(400, message, param=where or None).response()


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """An unexpected failure: 500 in the API's error format (sent outside the middleware, so the
    security headers are added here)."""
    response = ApiError(500, f"The server failed ({type(exc).__name__}); its log has the details", kind="server_error").response()
    response.headers.update(security_headers(request.url.path))
    return response
