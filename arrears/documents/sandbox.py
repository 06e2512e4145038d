"""Rendering user-editable texts safely.

Jinja2's ImmutableSandboxedEnvironment already refuses attribute tricks (`''.__class__`),
mutating methods and unsafe calls. What it does not cap is work and size, so this module adds:
- a size cap on the template itself and on what it produces (checked while streaming);
- a work budget shared by every loop: `range()` is replaced, and `*` and `**` are intercepted,
  so a nested loop or `'x' * 10**9` stops with an error instead of hanging or eating memory;
- a deadline checked at every iteration and every output chunk.
Undefined placeholders are errors (StrictUndefined), so a typo is reported, not printed empty.
A failure is a TemplateProblem with a sentence for the person who wrote the template; it never
crashes a run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from functools import lru_cache
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_TEMPLATE_CHARS = 20_000
MAX_OUTPUT_CHARS = 200_000
MAX_ITERATIONS = 20_000  # loop steps over range() in one rendering
MAX_SECONDS = 1.0


class TemplateProblem(ValueError):
    """A template that cannot be rendered; `kind` is one of syntax, placeholder, forbidden, too_big, too_slow."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_ITERATIONS:
            raise TemplateProblem("too_slow", f"the template loops more than {MAX_ITERATIONS} times")
        if time.monotonic() > self.deadline:
            raise TemplateProblem("too_slow", f"the template took longer than {MAX_SECONDS} s")


# Every line the template's compiled code executes counts against the budget: a loop over a long
# string, a recursive macro or a slow expression stops, whatever Python it runs on.
LINE_BUDGET = 200_000
_BUDGET: ContextVar[_Budget] = ContextVar("template_budget")
# Filters a text may use; the others can build huge strings (center, indent, wordwrap, format) or
# reveal internals (attr, pprint, tojson).
SAFE_FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "e",
        "escape",
        "first",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "max",
        "min",
        "replace",
        "reverse",
        "round",
        "sort",
        "string",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
_UNSAFE_STR_METHODS = frozenset(
    {
        "format",
        "format_map",
        "center",
        "ljust",
        "rjust",
        "zfill",
        "expandtabs",
        "join",
        "encode",
        "translate",
    }
)


class _CappedEnvironment(ImmutableSandboxedEnvironment):
    """Shared by all renderings (compiled templates are cached); the budget is per rendering."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=autoescape)
        self.globals = {"range": self._range}  # nothing else: no cycler, joiner, namespace, lipsum
        self.filters = {name: f for name, f in self.filters.items() if name in SAFE_FILTERS}
        self.tests = {
            name: t
            for name, t in self.tests.items()
            if name in {"defined", "undefined", "none", "number", "string", "eq", "ne", "in"}
        }

    @property
    def budget(self) -> _Budget:
        return _BUDGET.get()

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in _UNSAFE_STR_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def wrap_str_format(self, value: Any) -> Any:
        # Jinja hands str.format and str.format_map out before asking is_safe_attribute, and a
        # width in the format spec ('{:2000000000}') builds the huge string in C, past every cap.
        if getattr(value, "__name__", None) in ("format", "format_map") and isinstance(
            getattr(value, "__self__", None), str
        ):
            raise TemplateProblem("forbidden", "str.format is not allowed in a template: use placeholders")
        return None

    def _range(self, *args: int) -> Iterator[int]:
        steps = range(*args)
        if len(steps) > MAX_ITERATIONS:
            raise TemplateProblem("too_slow", f"range() of {len(steps)} steps: at most {MAX_ITERATIONS}")
        for value in steps:
            self.budget.tick()
            yield value

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        big_power = (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and (right > 64 or abs(left).bit_length() * max(right, 0) > 4096)
        )
        if big_power:
            raise TemplateProblem("too_big", "a power that large is not allowed in a template")
        if operator == "%" and not (isinstance(left, (int, float)) and isinstance(right, (int, float))):
            raise TemplateProblem("forbidden", "'%' formatting is not allowed in a template: use placeholders")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_OUTPUT_CHARS:
                    raise TemplateProblem(
                        "too_big", f"the template would produce more than {MAX_OUTPUT_CHARS} characters"
                    )
        too_long = (
            operator == "+"
            and isinstance(left, (str, list))
            and isinstance(right, (str, list))
            and len(left) + len(right) > MAX_OUTPUT_CHARS
        )
        if too_long:
            raise TemplateProblem("too_big", f"the template would produce more than {MAX_OUTPUT_CHARS} characters")
        return super().call_binop(context, operator, left, right)


def _tracer(budget: _Budget) -> Callable[..., Any]:
    lines = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
            if lines > LINE_BUDGET:
                raise TemplateProblem("too_slow", "the template does too much work (a loop or recursion too large)")
            if lines % 1000 == 0:
                budget.tick(0)
        return local

    def global_trace(frame: FrameType, event: str, arg: Any) -> Any:
        # Only the template's own compiled code is traced: its file name is "<template>".
        return local if frame.f_code.co_filename == "<template>" else None

    return global_trace


@lru_cache(maxsize=2)
def _environment(html: bool) -> _CappedEnvironment:
    return _CappedEnvironment(autoescape=html)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Template:
    # Compiling a template costs more than rendering it: a run renders the same few texts
    # thousands of times.
    return _environment(html).from_string(source)


def render(source: str, context: Mapping[str, Any], *, html: bool = False, name: str = "template") -> str:
    """Render one user-editable text with plain-data context; TemplateProblem on any failure."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateProblem("too_big", f"{name} has {len(source)} characters: at most {MAX_TEMPLATE_CHARS}")
    try:
        template = _compiled(source, html)
    except TemplateSyntaxError as exc:
        raise TemplateProblem("syntax", f"{name}, line {exc.lineno}: {exc.message}") from None
    except (SyntaxError, RecursionError, MemoryError, OverflowError) as exc:
        raise TemplateProblem("syntax", f"{name}: cannot be compiled: {type(exc).__name__}") from None
    budget = _Budget()
    _BUDGET.set(budget)
    parts: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(_tracer(budget))
    try:
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateProblem("too_big", f"{name} produces more than {MAX_OUTPUT_CHARS} characters")
            budget.tick(0)
            parts.append(chunk)
    except TemplateProblem:
        raise
    except UndefinedError as exc:
        raise TemplateProblem("placeholder", f"{name}: unknown placeholder: {exc.message}") from None
    except SecurityError as exc:
        raise TemplateProblem("forbidden", f"{name}: not allowed in a template: {exc}") from None
    except RecursionError:
        raise TemplateProblem("too_slow", f"{name}: a macro calls itself without end") from None
    except MemoryError:
        raise TemplateProblem("too_big", f"{name}: needs too much memory") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateProblem("syntax", f"{name}: {type(exc).__name__}: {exc}") from None
    finally:
        sys.settrace(previous)
    return "".join(parts)
