"""Moving flows of resource-strong residents: Værebro Park 2010-2019.

Computes, for the estate, the yearly flows by resource status and by origin /
destination, the origin-destination matrix between the study's units for
2010-2014 and 2015-2019, retention after moving in (Kaplan-Meier and Cox, by
resource status at the in-move) and the decomposition of the yearly change in
the share of resource-strong adults; applies disclosure control to every table;
writes the tables (CSV) and figures (PNG) to ``--out``; scans the folder with
the release checker; prints a summary.

    python analyses/flows.py --extract path/to/extract --out flows-release
    python analyses/flows.py --persons 300000 --seed 1 --out flows-release   # synthetic

On the synthetic registers the planted selective out-migration
(``cohort.synth.truth.HR_RESOURCE_STRONG_ESTATE``) shows as a higher out-move
rate of the resource-strong, a Cox hazard ratio of moving out above 1 and a
negative contribution of out-moves to the resource-strong share.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from cohort.disclosure import check_release, km_release, suppress_counts
from cohort.extract import read_extract
from cohort.flows import (
    COMPONENTS,
    decompose,
    od_matrix,
    retention_cox,
    retention_data,
    retention_km,
    yearly,
)
from cohort.flows.plots import (
    decomposition_table,
    flow_diagram_table,
    plot_decomposition,
    plot_flow_diagram,
    plot_flows_over_time,
)

ESTATE = "vaerebro_park"
COMPARISON = ("tingbjerg", "gellerup", "vollsmose")
YEARS = range(2010, 2020)
PERIODS = {"2010-2014": (2010, 2014), "2015-2019": (2015, 2019)}
PNG_META = {"Software": None}


# -- disclosure control of each table ---------------------------------------------


def controlled_yearly(t: pd.DataFrame, *, threshold: int):
    """Suppress the yearly counts; rates are recomputed from what is left."""
    logs = []
    status = t[t["breakdown"].isin(["total", "resource_status"])].copy()
    status["group_population"] = status["group_population"].fillna(status["population"])
    res = suppress_counts(
        status[["year", "group", "group_population", "births", "deaths", "in_moves",
                "out_moves"]],
        count_cols=["group_population", "births", "deaths", "in_moves", "out_moves"],
        threshold=threshold, by=["year", "group"],
        totals={"group": {"all": ["resource_strong", "not_resource_strong", "not_adult"]}},
        table="flows_yearly_status",
    )
    logs.append(res.log)
    st = res.frame
    cp = t[t["breakdown"].isin(["total", "counterpart"])]
    res2 = suppress_counts(
        cp[["year", "group", "in_moves", "out_moves"]], count_cols=["in_moves", "out_moves"],
        threshold=threshold, by=["year", "group"],
        totals={"group": {"all": ["same_municipality", "other_municipality", "abroad"]}},
        table="flows_yearly_counterpart",
    )
    logs.append(res2.log)
    pop = st[st["group"] == "all"].set_index("year")["group_population"]

    def rates(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        p = df["year"].map(pop).astype("Float64")
        for col in ("in_moves", "out_moves"):
            df[col.replace("_moves", "_per_1000")] = 1000 * df[col].astype("Float64") / p
        df["net_per_1000"] = df["in_per_1000"] - df["out_per_1000"]
        gross = df["in_moves"].astype("Float64") + df["out_moves"].astype("Float64")
        df["turnover_per_1000"] = 1000 * gross / p
        df["effectiveness"] = 100 * (df["in_moves"].astype("Float64")
                                     - df["out_moves"].astype("Float64")) / gross
        return df

    st = rates(st).rename(columns={"group": "resource_status"})
    gp = st["group_population"].astype("Float64")
    st["in_per_1000_group"] = 1000 * st["in_moves"].astype("Float64") / gp
    st["out_per_1000_group"] = 1000 * st["out_moves"].astype("Float64") / gp
    cpt = rates(res2.frame).rename(columns={"group": "counterpart"})
    return st, cpt, logs


def controlled_od(od: pd.DataFrame, *, threshold: int):
    """The OD matrix summed over resource status, small cells suppressed.

    The matrix summed over resource status, small cells suppressed (no totals
    are published, so no cell is a sum of others).
    """
    long = (od.groupby(["period", "origin", "destination"], observed=True)["moves"].sum()
            .reset_index())
    long = long[long["moves"] > 0]
    res = suppress_counts(long, count_cols=["moves"], threshold=threshold,
                          by=["period", "origin", "destination"], table="flows_od")
    return res.frame, res.log


def controlled_decomposition(d: pd.DataFrame, *, threshold: int):
    """The decomposition with its counts suppressed and dependent parts blanked.

    Counts per component suppressed (with the complement rule for the
    resource-strong among them); a contribution resting on a suppressed count is
    blanked, and when that leaves one blank in a year, the contribution of the
    smallest other class is blanked too (the parts add up to the published
    change).
    """
    rows = []
    for r in d.itertuples():
        for c in ("in_moves", "out_moves", "ageing_in", "ageing_out", "births", "deaths"):
            rows.append((r.year, c, int(getattr(r, c)), int(getattr(r, f"{c}_strong"))))
        rows.append((r.year, "start", int(r.adults_start), int(r.strong_start)))
        rows.append((r.year, "end", int(r.adults_end), int(r.strong_end)))
        rows.append((r.year, "status_gained", int(r.status_gained), 0))
        rows.append((r.year, "status_lost", int(r.status_lost), 0))
    counts = pd.DataFrame(rows, columns=["year", "component", "persons", "resource_strong"])
    counts["share"] = counts["resource_strong"] / counts["persons"].where(counts["persons"] > 0)
    res = suppress_counts(counts, count_cols=["persons", "resource_strong"], threshold=threshold,
                          by=["year", "component"],
                          shares={"share": ("resource_strong", "persons")},
                          table="flows_decomposition_counts")
    c = res.frame
    table = decomposition_table(d)
    hidden = c[c["persons"].isna() | c["resource_strong"].isna()]
    blank = set(zip(hidden["year"], hidden["component"], strict=True))
    blank |= {(y, "status_change") for (y, k) in list(blank) if k.startswith("status_")}
    for y in table["year"].unique():
        mine = [k for (yy, k) in blank if yy == y and k in COMPONENTS]
        if len(mine) == 1:  # secondary: the change minus the others would reveal it
            sizes = c[(c["year"] == y) & c["component"].isin(COMPONENTS)
                      & ~c["component"].isin(mine)].sort_values("persons")
            nonzero = sizes[sizes["persons"].fillna(0) > 0]
            pick = (nonzero if len(nonzero) else sizes)["component"].iloc[0]
            blank.add((y, pick))
    mask = [(y, str(k)) in blank for y, k in zip(table["year"], table["component"], strict=True)]
    table["contribution"] = table["contribution"].astype("Float64")
    table.loc[mask, "contribution"] = pd.NA
    return c, table, res.log


def controlled_retention(data: pd.DataFrame, *, threshold: int):
    """The released KM curves and, when every group is large enough, the Cox HR.

    The KM curves cut and pooled by km_release; the Cox hazard ratio only when
    every status group has at least ``threshold`` persons and events.
    """
    km = retention_km(data)
    curves, logs = [], []
    for status, part in km.table.groupby("resource_status"):
        curve = part.rename(columns={"survival": "estimate"})
        res = km_release(curve, threshold=threshold, table=f"retention_km_{status}")
        frame = res.frame.assign(resource_status=status)
        curves.append(frame)
        logs.append(res.log)
    released = pd.concat(curves, ignore_index=True)
    adults = data[data["resource_status"] != "not_adult"]
    support = adults.groupby("resource_status", observed=True).agg(
        persons=("pid", "nunique"), events=("event", "sum"))
    cox_table = None
    if len(support) == 2 and (support.to_numpy() >= threshold).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = retention_cox(data)
        cox_table = fit.tidy(exponentiate=True)
    return released, cox_table, logs


# -- the run ------------------------------------------------------------------------


def run(ex, out: Path, *, threshold: int) -> list[str]:
    """Compute, control and write every table and figure; return the summary lines."""
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    logs = []

    yt = yearly(ex, area=ESTATE, years=YEARS)
    status, counterpart, lg = controlled_yearly(yt, threshold=threshold)
    logs += lg
    status.to_csv(out / "flows_yearly_by_status.csv", index=False)
    counterpart.to_csv(out / "flows_yearly_by_counterpart.csv", index=False)
    fig = plot_flows_over_time(status[status["resource_status"] != "all"],
                               title="Værebro Park: moves by resource status")
    fig.savefig(out / "flows_over_time.png", dpi=110, metadata=PNG_META)

    od = od_matrix(ex, area=ESTATE, comparison=list(COMPARISON), periods=PERIODS)
    odc, lg = controlled_od(od, threshold=threshold)
    logs.append(lg)
    odc.to_csv(out / "flows_origin_destination.csv", index=False)
    for label in PERIODS:
        ft = flow_diagram_table(odc[odc["period"].astype(str) == label], area=ESTATE)
        ft.to_csv(out / f"flows_diagram_{label}.csv", index=False)
        fig = plot_flow_diagram(ft, area=ESTATE, title=f"Værebro Park, moves {label}")
        fig.savefig(out / f"flows_diagram_{label}.png", dpi=110, metadata=PNG_META)

    dec = decompose(ex, area=ESTATE, years=range(2010, 2019))
    counts, dtab, lg = controlled_decomposition(dec, threshold=threshold)
    logs.append(lg)
    counts.to_csv(out / "flows_decomposition_counts.csv", index=False)
    dtab.to_csv(out / "flows_decomposition.csv", index=False)
    plot_decomposition(dtab).savefig(out / "flows_decomposition.png", dpi=110,
                                     metadata=PNG_META)

    rd = retention_data(ex, area=ESTATE)
    km, cox_table, lg = controlled_retention(rd, threshold=threshold)
    logs += lg
    km.to_csv(out / "flows_retention_km.csv", index=False)
    if cox_table is not None:
        cox_table.to_csv(out / "flows_retention_cox.csv", index=False)

    # -- the summary ---------------------------------------------------------------
    s = status[status["resource_status"].isin(["resource_strong", "not_resource_strong"])]
    mean_out = s.groupby("resource_status")["out_per_1000_group"].mean()
    mean_in = status[status["resource_status"] != "all"].groupby("resource_status")[
        "in_moves"].sum()
    lines.append("Værebro Park 2010-2019 (disclosure-controlled, threshold "
                 f"{threshold}; · = suppressed)")
    lines.append("  mean yearly out-moves per 1,000 of the group on 1 January: "
                 + ", ".join(f"{k} {_f(v)}" for k, v in mean_out.items()))
    if {"resource_strong", "not_resource_strong"} <= set(mean_out.index):
        ratio = mean_out["resource_strong"] / mean_out["not_resource_strong"]
        lines.append(f"  out-move rate ratio, resource-strong vs not: {_f2(ratio)} (the planted "
                     "selective out-migration of the synthetic registers: household hazard "
                     "ratio 2.0, about 1.6-1.9 per person)")
    lines.append("  in-moves 2010-2019 by resource status: "
                 + ", ".join(f"{k} {_n(v)}" for k, v in mean_in.items()))
    if cox_table is not None:
        r = cox_table.iloc[0]
        lines.append(f"  retention, Cox: hazard ratio of moving out, resource-strong vs not "
                     f"(adults at the in-move): {r['estimate']:.2f} "
                     f"[{r['conf_low']:.2f}; {r['conf_high']:.2f}]")
    else:
        lines.append("  retention, Cox: not released (a group below the threshold)")
    contrib = dtab.groupby("component", observed=True)["contribution"].sum(min_count=1)
    lines.append("  share of resource-strong adults, change 2010-2019 by component "
                 "(percentage points, summed over years): "
                 + ", ".join(f"{k} {_f(v)}" for k, v in contrib.items()))
    lines.append(f"  share on 1 January 2010: {_pct(dec['share_start'].iloc[0])}, "
                 f"on 1 January 2019: {_pct(dec['share_end'].iloc[-1])}")
    for lg in logs:
        for rec in lg.to_records():
            lines.append(f"  suppressed: {rec['table']}.{rec['column']} {rec['rule']}: "
                         f"{rec['suppressed_cells']} cells")
    chk = check_release(out, threshold=threshold)
    lines.append(chk.render().rstrip())
    (out / "summary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def _f(x) -> str:
    return "·" if pd.isna(x) else f"{float(x):.1f}"


def _f2(x) -> str:
    return "·" if pd.isna(x) else f"{float(x):.2f}"


def _n(x) -> str:
    return "·" if pd.isna(x) else f"{int(x):,}"


def _pct(x) -> str:
    return "·" if x is None or pd.isna(x) or not np.isfinite(x) else f"{100 * float(x):.1f} %"


def main(argv: list[str] | None = None) -> int:
    """Command line: read or synthesise the extract, run, print the summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extract", type=Path, help="a register extract folder")
    ap.add_argument("--persons", type=int, default=300_000,
                    help="without --extract: size of the synthetic registers (default 300,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threshold", type=int, default=5, help="disclosure threshold (default 5)")
    ap.add_argument("--out", type=Path, required=True, help="folder for the release")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.extract
        if path is None:
            from cohort.synth import synthesise

            path = synthesise(Path(tmp) / "synthetic", persons=args.persons,
                              seed=args.seed).path
            print(f"synthetic registers: {args.persons:,} persons, seed {args.seed}")
        with read_extract(path) as ex:
            for line in run(ex, args.out, threshold=args.threshold):
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
