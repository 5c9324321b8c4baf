"""One validator for parameters, so every message has the same shape.

The message names the parameter, lists what it allows and echoes what it got.
Parameters are library settings, never person-level data, so echoing is safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cohort.exceptions import ParameterError

__all__ = ["check_int_range", "check_literal", "check_literals"]


def check_literal(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ParameterError`.

    Examples
    --------
    >>> check_literal("direction", "in", ("in", "out"))
    'in'

    """
    allowed = tuple(allowed)
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        msg = f"{name} must be one of {listed}; got {value!r}"
        raise ParameterError(msg)
    return value


def check_literals(name: str, values: Iterable[Any], allowed: Iterable[Any]) -> tuple[Any, ...]:
    """Check every element of ``values`` against ``allowed``; return them as a tuple.

    Examples
    --------
    >>> check_literals("levels", ["a"], ("a", "b"))
    ('a',)

    """
    allowed = tuple(allowed)
    out = tuple(values)
    for v in out:
        check_literal(name, v, allowed)
    return out


def check_int_range(
    name: str, value: Any, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` as int if it is an integer in ``[low, high]``.

    Examples
    --------
    >>> check_int_range("threshold", 5, low=1)
    5

    """
    if isinstance(value, bool) or not isinstance(value, int):
        msg = f"{name} must be an integer; got {value!r}"
        raise ParameterError(msg)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else str(low)
        hi = "inf" if high is None else str(high)
        msg = f"{name} must lie in [{lo}, {hi}]; got {value!r}"
        raise ParameterError(msg)
    return value
