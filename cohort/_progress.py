r"""Progress within long steps, and how long each step took.

The command line installs a :class:`Reporter` for the length of a command
(:func:`reporting`); library code says what it is doing with :func:`step` and
:func:`item`, which do nothing when no reporter is installed (a script that calls
the library sees nothing). On a terminal an item rewrites one line (``\r``); when
standard error is a file or a pipe (a scheduler's log), every item is a plain line.
Each step ends with its time (``done in 12.3 s``). Messages name steps, tables and
counts only, never a value of a person.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import TextIO

__all__ = ["Reporter", "item", "reporting", "say", "step"]

_current: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "cohort_progress", default=None)


def _seconds(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    m, s = divmod(int(round(s)), 60)
    return f"{m} min {s:02d} s"


class Reporter:
    """Writes progress lines to a stream; remembers each step's time in ``timings``."""

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        if tty is None:
            isatty = getattr(stream, "isatty", None)
            tty = bool(isatty()) if callable(isatty) else False
        self.tty = tty
        self.timings: list[tuple[str, float]] = []
        self._pending = False
        self._depth = 0

    def _clear(self) -> None:
        if self._pending:
            self.stream.write("\r\x1b[K")
            self._pending = False

    def line(self, msg: str) -> None:
        """A line of its own."""
        self._clear()
        self.stream.write(msg + "\n")
        self.stream.flush()

    __call__ = line

    def item(self, what: str, i: int | None = None, n: int | None = None) -> None:
        """Progress inside the current step: ``what (i of n)``."""
        text = "  " * max(self._depth, 1) + what + (f" ({i} of {n})" if i and n else "")
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self._pending = True
            self.stream.flush()
        else:
            self.line(text)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """A step: its name now, its time when it ends."""
        self.line("  " * self._depth + name)
        start = time.perf_counter()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            took = time.perf_counter() - start
            self.timings.append((name, took))
            self.line("  " * self._depth + f"  done in {_seconds(took)}")


@contextlib.contextmanager
def reporting(reporter: Reporter | None) -> Iterator[Reporter | None]:
    """Install ``reporter`` for the code inside the block (None: silence)."""
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        _current.reset(token)


def current() -> Reporter | None:
    """The installed reporter, if any."""
    return _current.get()


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    """A timed step of the installed reporter (nothing without one)."""
    rep = _current.get()
    if rep is None:
        yield
        return
    with rep.step(name):
        yield


def item(what: str, i: int | None = None, n: int | None = None) -> None:
    """Progress inside the current step (nothing without a reporter)."""
    rep = _current.get()
    if rep is not None:
        rep.item(what, i, n)


def say(msg: str) -> None:
    """A line of its own (nothing without a reporter)."""
    rep = _current.get()
    if rep is not None:
        rep.line(msg)
