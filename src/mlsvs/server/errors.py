"""Errors as responses: JSON under ``/api/``, an HTML page (or the login redirect) elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.responses import Response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, message: str) -> Response:
    """``{"detail": message}`` for the API, the error page for browsers."""
    from fastapi.responses import JSONResponse

    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "error.html",
        {"status": status, "message": message, "me": None, "csrf": ""},
        status_code=status,
    )


def install_handlers(app: FastAPI) -> None:
    """Map ``AuthError`` and user errors onto responses (never a traceback)."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import RedirectResponse
    from starlette.exceptions import HTTPException

    from mlsvs.errors import MlsvsError
    from mlsvs.server.auth import AuthError
    from mlsvs.server.ingest import IngestError

    async def on_auth(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AuthError)  # noqa: S101 - registered for this type
        if exc.status == 401 and not _is_api(request) and request.method == "GET":
            target = quote(request.url.path, safe="/")
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return error_response(request, exc.status, exc.message)

    async def on_user_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MlsvsError)  # noqa: S101
        status = 422 if isinstance(exc, IngestError) else 400
        return error_response(request, status, exc.message)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)  # noqa: S101
        return error_response(request, exc.status_code, str(exc.detail))

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)  # noqa: S101
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(request, 422, f"{where}: {first.get('msg', 'invalid')}")

    app.add_exception_handler(AuthError, on_auth)
    app.add_exception_handler(MlsvsError, on_user_error)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
