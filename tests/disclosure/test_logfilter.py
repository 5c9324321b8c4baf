"""The log filter keeps CPR numbers and pids out of the cohort logger's output."""

from __future__ import annotations

import io
import logging

import pytest

from cohort.disclosure import PidScrubFilter, install_log_filter


@pytest.fixture
def cohort_log():
    logger = logging.getLogger("cohort")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield logger, handler, stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)
    for f in [f for f in logger.filters if isinstance(f, PidScrubFilter)]:
        logger.removeFilter(f)


def test_cpr_numbers_pids_and_pseudonyms_are_scrubbed(cohort_log):
    logger, _, stream = cohort_log
    install_log_filter()
    logger.info("row %s for pid=%s", "010190-1234", "ab12cd")
    logging.getLogger("cohort.extract").info("value 2512851234 and %s",
                                            "9f86d081884c7d659a2feaa0c55ad015")
    logger.info("read 1200 rows from persons.csv")
    lines = stream.getvalue().splitlines()
    assert lines == [
        "cohort row [redacted] for pid=[redacted]",
        "cohort.extract value [redacted] and [redacted]",
        "cohort read 1200 rows from persons.csv",
    ]


def test_exception_text_is_scrubbed(cohort_log):
    logger, _, stream = cohort_log
    install_log_filter()
    try:
        raise ValueError("bad value 010190-1234")
    except ValueError:
        logger.exception("failed")
    assert "010190-1234" not in stream.getvalue()
    assert "bad value [redacted]" in stream.getvalue()


def test_refuse_mode_drops_the_record(cohort_log):
    logger, _, stream = cohort_log
    filt = install_log_filter(mode="refuse")
    logger.info("cpr 0101901234")
    logger.info("ok")
    assert stream.getvalue().splitlines() == ["cohort ok"]
    assert filt.scrubbed == 1


def test_installing_twice_reuses_the_filter(cohort_log):
    logger, handler, _ = cohort_log
    a = install_log_filter()
    b = install_log_filter()
    assert a is b
    assert handler.filters.count(a) == 1
