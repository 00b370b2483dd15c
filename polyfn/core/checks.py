"""``Check``: limits on one model field or parameter, written ``Annotated[T, Check(...)]``.

What a type alone cannot say (a non-empty name, a page size of 1 to 100) and what the
OpenAPI document should tell clients: ``core.models`` applies each limit after the type
check and ``json_schema`` writes it as the JSON Schema keyword of the same meaning
(``minLength``, ``maxLength``, ``minimum``, ``maximum``, ``pattern``). A value outside the
limits is reported like a wrong type, with ``type`` ``"limit"``.

This module imports nothing, so ``from polyfn import Check`` costs no cold start.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Check"]


class Check:
    """Limits on a string's length, a number's range, or a pattern a string must contain.

    ``pattern`` is a regular expression searched in the string (JSON Schema's ``pattern``
    is not anchored either): ``Check(pattern=r"\\S")`` asks for one non-space character.
    """

    __slots__ = ("_search", "ge", "le", "max_length", "min_length", "pattern")

    def __init__(
        self,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
        ge: float | None = None,
        le: float | None = None,
        pattern: str | None = None,
    ) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self.ge = ge
        self.le = le
        self.pattern = pattern
        self._search: Any = None  # the compiled pattern's search, made on first use

    def json_schema(self) -> dict[str, object]:
        keywords = {
            "minLength": self.min_length,
            "maxLength": self.max_length,
            "minimum": self.ge,
            "maximum": self.le,
            "pattern": self.pattern,
        }
        return {key: value for key, value in keywords.items() if value is not None}

    def problem(self, value: object) -> str | None:
        """Why ``value`` breaks a limit; None when it keeps them all."""
        if isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return f"expected at least {self.min_length} characters"
            if self.max_length is not None and len(value) > self.max_length:
                return f"expected at most {self.max_length} characters"
            if self.pattern is not None:
                search = self._search
                if search is None:
                    import re  # only models with a pattern pay for it

                    search = self._search = re.compile(self.pattern).search
                if search(value) is None:
                    return f"expected a string matching {self.pattern!r}"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.ge is not None and value < self.ge:
                return f"expected at least {self.ge:g}"
            if self.le is not None and value > self.le:
                return f"expected at most {self.le:g}"
        return None

    def __repr__(self) -> str:
        return f"Check({', '.join(f'{k}={v!r}' for k, v in self.json_schema().items())})"
