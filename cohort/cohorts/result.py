"""The built cohort: its data, the flow of exclusions and the linkage report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure

from cohort.cohorts.spec import CohortSpec

__all__ = ["Cohort"]


@dataclass(frozen=True)
class Cohort:
    """A cohort of children built by :func:`cohort.cohorts.build_cohort`.

    Attributes
    ----------
    data
        One row per child of the analysed cohort (see docs/cohorts.md for the
        columns).
    exclusions
        The flow from everyone in the extract to the analysed cohort: ``step,
        criterion, n, excluded, exposed, comparison, neither``.
    linkage
        Per register and group: ``members, matched, unmatched, share_matched``.
    spec
        The spec it was built from.
    extract_end
        The extract's last date.

    """

    data: pd.DataFrame
    exclusions: pd.DataFrame
    linkage: pd.DataFrame
    spec: CohortSpec
    extract_end: dt.date

    def __repr__(self) -> str:
        groups = self.data["group"].value_counts()
        y0, y1 = self.spec.birth_years
        return (f"Cohort(born {y0}-{y1}, children={len(self.data):,}, "
                f"exposed={int(groups.get('exposed', 0)):,}, "
                f"comparison={int(groups.get('comparison', 0)):,})")

    def summary(self) -> str:
        """The flow and the group sizes as text (counts only)."""
        lines = ["Flow of exclusions"]
        for r in self.exclusions.itertuples(index=False):
            exc = "" if pd.isna(r.excluded) else f"  (excluded {int(r.excluded):,})"
            lines.append(f"  {r.criterion}: {int(r.n):,}{exc}")
        groups = self.data["group"].value_counts()
        lines.append("Groups: " + ", ".join(f"{g} {int(groups.get(g, 0)):,}"
                                            for g in ("exposed", "comparison")))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + self.summary() + "</pre>" + self.exclusions.to_html(index=False)

    def plot_exclusions(self) -> Figure:
        """The flow of exclusions as a bar chart.

        Persons remaining after each step, per group (Agg backend).
        """
        flow = self.exclusions.iloc[1:]
        fig = Figure(figsize=(7, 0.6 * len(flow) + 1.5))
        ax = fig.add_subplot(1, 1, 1)
        labels = list(flow["criterion"])[::-1]
        left = [0.0] * len(labels)
        for g, colour in (("exposed", "#b2182b"), ("comparison", "#2166ac"),
                          ("neither", "#bababa")):
            vals = [float(v) for v in flow[g].fillna(0)][::-1]
            ax.barh(labels, vals, left=left, color=colour, label=g)
            left = [a + b for a, b in zip(left, vals, strict=True)]
        for i, n in enumerate(left):
            ax.text(n, i, f" {int(n):,}", va="center", fontsize=8)
        ax.set_xlabel("persons remaining")
        ax.set_title(f"Flow of exclusions (persons in the extract: "
                     f"{int(self.exclusions['n'].iloc[0]):,})", fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        return fig

    def plot_linkage(self) -> Figure:
        """The share of cohort members with rows in each register (Agg backend)."""
        tab = self.linkage[self.linkage["group"] == "all"]
        fig = Figure(figsize=(6, 0.4 * len(tab) + 1.5))
        ax = fig.add_subplot(1, 1, 1)
        ax.barh(list(tab["register"])[::-1], list(tab["share_matched"])[::-1], color="#4d4d4d")
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of cohort members with rows")
        ax.set_title("Linkage to the registers", fontsize=9)
        fig.tight_layout()
        return fig

    def plot(self) -> Figure:
        """The flow of exclusions (see :meth:`plot_exclusions`)."""
        return self.plot_exclusions()
