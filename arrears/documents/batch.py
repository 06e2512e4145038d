"""A batch of letters (one run's notices) shares what does not change between them.

Inside `with letter_batch():` the company, its bank accounts, the texts of a template and the names
of levels are read once; outside it, every letter reads them afresh (so an edit in the admin shows
at once in previews). One letter is its own small batch (`one_letter`): what it needs twice, it
reads once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")
_CACHE: ContextVar[dict[Hashable, Any] | None] = ContextVar("letter_batch", default=None)


@contextmanager
def letter_batch() -> Iterator[None]:
    token = _CACHE.set({})
    try:
        yield
    finally:
        _CACHE.reset(token)


@contextmanager
def one_letter() -> Iterator[None]:
    """Within a batch, nothing changes; outside one, a batch for this one letter only."""
    if _CACHE.get() is not None:
        yield
        return
    with letter_batch():
        yield


def shared(key: Hashable, compute: Callable[[], T]) -> T:
    cache = _CACHE.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    result: T = cache[key]
    return result
