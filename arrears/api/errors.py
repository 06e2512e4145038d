"""One shape for every refusal: {"detail": "...", "errors": [{"location", "index", "field", "message"}]}.

`detail` says what happened in one sentence; `errors` lists each problem where it is, so that a
client can show it next to the field (for a bulk request: the index of the record in the list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from arrears.ledger.imports.context import MAX_REPORTED_ERRORS


class ErrorItem(Schema):
    location: str  # body, query, path or header
    index: int | None = None  # the record's position in a bulk request's list (from 0)
    field: str = ""
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class ApiError(Exception):
    """Raised by an endpoint to answer with `status` and the error body."""

    def __init__(self, status: int, detail: str, errors: Sequence[ErrorItem] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)


# As many problems as the import lists (arrears/ledger/imports/context.py); the total is in `detail`.
MAX_LISTED = MAX_REPORTED_ERRORS

# Every operation may answer with these (its own successes are added to them).
ERRORS: dict[int, type[ErrorOut]] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422), ErrorOut)


def _items_of_validation(errors: list[dict[str, Any]]) -> list[ErrorItem]:
    items = []
    for error in errors:
        location, *rest = error.get("loc", ("body",))
        # ninja puts the body parameter's own name first ("payload"): it means nothing to a client.
        if location == "body" and rest[:1] == ["payload"]:
            rest = rest[1:]
        # In a list of records ("invoices", 3, "amount"): the index, then the record's own field.
        at = next((i for i, p in enumerate(rest) if isinstance(p, int)), None)
        index = None if at is None else int(rest[at])
        names = [str(p) for p in (rest if at is None else rest[at + 1 :])]
        items.append(ErrorItem(location=str(location), index=index, field=".".join(names), message=error["msg"]))
    return items


def install(api: NinjaAPI) -> None:
    """Make every error of `api` answer in the one shape. A bug still gives Django's 500."""

    def respond(request: HttpRequest, status: int, detail: str, errors: Sequence[ErrorItem] = ()) -> HttpResponse:
        body = ErrorOut(detail=detail, errors=list(errors)).model_dump()
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="arrears"'
        return response

    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return respond(request, exc.status, exc.detail, exc.errors)

    def validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        items = _items_of_validation(exc.errors)
        written = "" if request.method == "GET" else ", nothing was written"
        shown = f" (the first {MAX_LISTED} are listed)" if len(items) > MAX_LISTED else ""
        detail = f"the request is not valid: {len(items)} problem(s){shown}{written}"
        return respond(request, 422, detail, items[:MAX_LISTED])

    def authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return respond(
            request, 401, "authentication needed: send 'Authorization: Bearer <token>' with a live API token"
        )

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        detail = str(exc)
        if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
            detail = "the request body is not valid JSON (UTF-8)"
        return respond(request, exc.status_code, detail)

    def missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, str(exc) or "not found")

    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, "the request body is too large: send fewer records per request")

    api.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, validation)  # type: ignore[arg-type]
    api.add_exception_handler(AuthenticationError, authentication)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, missing)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, too_big)  # type: ignore[arg-type]
