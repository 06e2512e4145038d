"""Idempotency-Key: a retried write never writes twice.

A client that is not sure its request arrived (a timeout, a dropped connection) sends it again
with the same Idempotency-Key header. If the first one succeeded, the answer stored with the key
comes back, marked `Idempotent-Replayed: true`, and nothing is written again. The same key with
another request (another body or another path) is refused with 422. Keys are kept for 24 hours
per user. A request that failed stores nothing: nothing was written, so it may simply be sent
again, corrected, with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Status
from ninja.params import HeaderEx, P

from arrears.api.auth import api_user
from arrears.api.errors import ApiError, ErrorItem
from arrears.api.models import IdempotencyKey
from arrears.api.types import Text

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"

# The optional header of every write.
KeyHeader = HeaderEx[
    Text | None,
    P(
        alias=HEADER,
        min_length=1,
        max_length=255,
        description="any unique text, e.g. a UUID: a retry with the same key and body is answered once",
    ),
]

# A write's answer: (HTTP status, JSON body as stored).
Answer = tuple[int, dict[str, Any]]


class _Taken(Exception):
    """Another request stored the same key first (it was sent twice at the same time)."""


def _digest(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": payload}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()  # ASCII: json.dumps escapes the rest


def _stored(request: HttpRequest, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user=api_user(request), key=key, created_at__gte=timezone.now() - KEEP).first()


def _replay(found: IdempotencyKey, digest: str, response: HttpResponse) -> Answer:
    if found.request_hash != digest:
        raise ApiError(
            422,
            f"the Idempotency-Key {found.key!r} was used at {found.created_at:%Y-%m-%d %H:%M:%S} UTC for another "
            f"request ({found.method} {found.path} with another body): a new request needs a new key",
            [ErrorItem(location="header", field=HEADER, message="already used for another request")],
        )
    response[REPLAYED] = "true"
    return found.status_code, found.response


def run_once(
    request: HttpRequest, response: HttpResponse, key: str | None, payload: Any, write: Callable[[], Answer]
) -> Status[dict[str, Any]]:
    """Run `write` in one transaction, at most once per key: its answer is stored with the key in
    that same transaction, so a write and its key are committed together or not at all."""
    if not key:
        with transaction.atomic():
            return Status(*write())
    digest = _digest(request, payload)
    found = _stored(request, key)
    if found is not None:
        return Status(*_replay(found, digest, response))
    try:
        with transaction.atomic():
            status, body = write()
            now = timezone.now()
            IdempotencyKey.objects.filter(created_at__lt=now - KEEP).delete()
            try:
                with transaction.atomic():
                    IdempotencyKey.objects.create(
                        user=api_user(request),
                        key=key,
                        method=request.method or "",
                        path=request.path[:500],
                        request_hash=digest,
                        status_code=status,
                        response=body,
                        created_at=now,
                    )
            except IntegrityError:
                raise _Taken from None  # rolls the write back: the other request's answer stands
    except _Taken:
        found = _stored(request, key)
        if found is None:
            raise ApiError(409, "a request with this Idempotency-Key is still in progress: retry later") from None
        return Status(*_replay(found, digest, response))
    return Status(status, body)
