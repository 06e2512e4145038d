"""The REST API for integrators: one NinjaAPI, its routers, its parser and its error shape.

OpenAPI at /api/openapi.json, interactive documentation at /api/docs. The guide is docs/api.md.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import register_converter
from ninja import NinjaAPI, Router, Schema
from ninja.parser import Parser

from arrears.accounts.roles import role_of
from arrears.api import customers, dunning, errors, invoices, messages, payments
from arrears.api.auth import VIEWER, api_user
from arrears.api.converters import AnyText
from arrears.api.errors import ERRORS, ApiError
from arrears.companies.models import Company


class ExactParser(Parser):
    """JSON bodies with numbers kept as the digits they were written with: 1250.10 arrives as the
    text "1250.10", never as a float, exactly as the import reads a JSON file."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=str))


# Free-text ids in paths ({anytext:customer_id}); before any URL of the API is built.
register_converter(AnyText, "anytext")

api = NinjaAPI(
    title="arrears",
    version="1",
    description=(
        "Customers, invoices, payments and dunning of arrears. Authenticate with "
        "`Authorization: Bearer <token>` (a token from `arrears user token add USER --name NAME`). "
        "Roles: viewer reads, clerk also writes ledger data and runs, manager may do all. "
        'Errors: `{"detail": ..., "errors": [...]}`. Guide: docs/api.md.'
    ),
    urls_namespace="api",
    parser=ExactParser(),
)
errors.install(api)


class MeOut(Schema):
    username: str
    role: str


class CompanyOut(Schema):
    code: str
    name: str
    country: str
    default_currency: str
    default_language: str
    time_zone: str


meta = Router(tags=["meta"])


@meta.get("/me", response={200: MeOut, **ERRORS}, auth=VIEWER)
def me(request: HttpRequest) -> MeOut:
    """Who the token belongs to, and the role. Viewer or higher."""
    user: User = api_user(request)
    role = role_of(user)
    return MeOut(username=user.get_username(), role=role.group_name if role else "")


@meta.get("/companies", response={200: list[CompanyOut], **ERRORS}, auth=VIEWER)
def list_companies(request: HttpRequest) -> list[CompanyOut]:
    """The companies (creditors) of this installation; every other path names one by its code.
    Viewer or higher."""
    return [
        CompanyOut(
            code=c.code,
            name=c.name,
            country=c.country,
            default_currency=c.default_currency,
            default_language=c.default_language,
            time_zone=c.time_zone,
        )
        for c in Company.objects.order_by("code")
    ]


# Anything else under /api/ gets a 404 in the API's shape, not the site's HTML page. Its router
# comes last: Django takes the first path that matches.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{anytext:rest}", include_in_schema=False, auth=None
)
def no_such_path(request: HttpRequest, rest: str) -> None:
    raise ApiError(404, f"there is no API path /api/{rest}: see /api/docs")


# Every router of the API, in the order Django tries their paths (tests walk their operations).
ROUTERS = (meta, customers.router, invoices.router, payments.router, dunning.router, messages.router, fallback)
for router in ROUTERS:
    api.add_router("/", router)
