"""A path converter for ids that are free text: the billing system's customer ids, invoice
numbers and payment ids may hold "/" and even a line break, which Django's `path` converter
(".+") does not match. arrears/api/api.py registers it as "anytext"."""

from __future__ import annotations


class AnyText:
    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
