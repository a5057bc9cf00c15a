"""What the server answers when a request cannot be served (HTTP error bodies, not user errors).

HTTP errors use the OpenAI error body (``{"error": {"message", "type", "param", "code"}}``), which
the ``openai`` client and chat UIs show to their users as they are; the web page reads the same.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """One HTTP error answer: status, a message for people, and the OpenAI error fields."""

    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code

    def body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def bad_request(message: str, param: str | None = None) -> ApiError:
    """A request outside the server's limits or the API's rules (400)."""
    return ApiError(400, message, param=param)
