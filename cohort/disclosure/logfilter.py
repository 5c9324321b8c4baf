"""A logging filter that keeps CPR numbers and pids out of the library's logs.

Logs are treated as leaving the server (ehrQL's rule: logs are at a different
privacy level from the outputs). The filter formats each record, then either
replaces CPR-shaped tokens, ``pid=<value>`` pairs and long hex tokens
(pseudonyms) with ``[redacted]`` (``mode="scrub"``) or drops the record
(``mode="refuse"``). Exception text is scrubbed too.

Filters on a logger see only records logged on that very logger, not those of
its children; :func:`install_log_filter` therefore also puts the filter on every
handler of the ``cohort`` logger. Add it to handlers you attach later.
"""

from __future__ import annotations

import logging

from cohort._params import check_literal
from cohort.disclosure._cpr import scrub_text

__all__ = ["LOGGER_NAME", "PidScrubFilter", "install_log_filter"]

LOGGER_NAME = "cohort"


class PidScrubFilter(logging.Filter):
    """Scrub (or refuse) log records that carry CPR numbers or pids.

    Examples
    --------
    >>> rec = logging.LogRecord("cohort", logging.INFO, "", 0, "person %s", ("010190-1234",), None)
    >>> PidScrubFilter().filter(rec), rec.getMessage()
    (True, 'person [redacted]')

    """

    def __init__(self, mode: str = "scrub") -> None:
        super().__init__()
        self.mode = check_literal("mode", mode, ("scrub", "refuse"))
        self.scrubbed = 0  # records changed or dropped; a count, never a value

    def filter(self, record: logging.LogRecord) -> bool:  # noqa: D102
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: keep only the template
            message = str(record.msg)
        text, n = scrub_text(message)
        exc_n = 0
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text, exc_n = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info, _ = scrub_text(record.stack_info)
        if n or exc_n:
            self.scrubbed += 1
            if self.mode == "refuse":
                return False
        record.msg, record.args = text, ()
        return True


def install_log_filter(
    logger: logging.Logger | str = LOGGER_NAME, *, mode: str = "scrub"
) -> PidScrubFilter:
    """Put one :class:`PidScrubFilter` on a logger (default ``cohort``) and its handlers.

    Returns the filter; calling again reuses an installed one.
    """
    log = logging.getLogger(logger) if isinstance(logger, str) else logger
    existing = [f for f in log.filters if isinstance(f, PidScrubFilter)]
    filt = existing[0] if existing else PidScrubFilter(mode)
    if not existing:
        log.addFilter(filt)
    for handler in log.handlers:
        if filt not in handler.filters:
            handler.addFilter(filt)
    return filt
