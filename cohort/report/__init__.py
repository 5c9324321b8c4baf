"""The HTML report of a release: what was run, on what, and what came out."""

from cohort.report.html import render_report

__all__ = ["render_report"]
