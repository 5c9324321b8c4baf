"""The coverage table of docs/methods/did.md, "Coverage with area-by-year shocks".

    OPENBLAS_NUM_THREADS=1 python docs/methods/did_coverage.py [REPS]

Children in 4 or 21 areas x 11 exam years, area 0 treated from the 9th (three
treated years, as the estate's exam years 2016-2018), planted effect 0.04 on the
share scale, area-by-year shocks of sd 0.03 or 0.05 (cohort.did._coverage.
children_draw). Seeded: the same REPS give the same table. Prints a markdown
table of the share of intervals that contain the truth.
"""

from __future__ import annotations

import sys

import numpy as np

from cohort.did import one_treated_limits
from cohort.did._coverage import area_year_coverage

COLUMNS = (
    ("twfe_children", "TWFE, child-level SE"),
    ("twfe_area_year", "TWFE, area-year"),
    ("band_children", "event-study sup-t band, child-level"),
    ("band_area_year", "event-study sup-t band, area-year"),
    ("dose_area_year", "dose bins, area-year"),
    ("randomization", "randomization inference"),
    ("conley_taber", "Conley-Taber"),
    ("conley_taber_sized", "Conley-Taber, size-corrected"),
)


def main(reps: int) -> None:
    """Print the table, one row per number of areas and shock sd."""
    head = "| areas | shock sd | " + " | ".join(label for _, label in COLUMNS) + " |"
    print(head)
    print("| ---: | ---: | " + " | ".join("---:" for _ in COLUMNS) + " |")
    for i, (n_areas, sd) in enumerate(((4, 0.0), (4, 0.03), (4, 0.05), (21, 0.03), (21, 0.05))):
        cov = area_year_coverage(reps=reps, n_areas=n_areas, shock_sd=sd, seed=2026 + i)
        lim = one_treated_limits(n_areas - 1)
        cells = []
        for key, _ in COLUMNS:
            v = cov[key]
            cells.append(f"descriptive (p >= {lim['smallest_p']:.2f})" if np.isnan(v)
                         else f"{v:.3f}")
        print(f"| {n_areas} | {sd:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
