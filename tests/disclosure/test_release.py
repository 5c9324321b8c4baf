"""The Release writer: disclosure on the way out, atomic folders, determinism, manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from cohort.disclosure import DisclosureSettings, Release, sha256_file  # noqa: E402
from cohort.exceptions import DisclosureError, DisclosureWarning, UserError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

TABLE = pd.DataFrame({
    "area": ["Total", "park", "rest", "north"],
    "year": [2017] * 4,
    "n": [70, 3, 40, 27],
    "den": [180, 50, 60, 70],
})
TABLE["share"] = TABLE.n / TABLE.den


def write_release(path: Path, inputs=(), **kw) -> pd.DataFrame:
    with Release(path, seed=7, inputs=inputs, **kw) as rel:
        out = rel.write_table("by_area", TABLE, count_cols=["n", "den"], by=["area", "year"],
                              totals={"area": "Total"}, shares={"share": ("n", "den")})
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.bar(out["area"], out["n"].astype("float").fillna(0).to_numpy())
        ax.set_title("Persons by area")
        rel.write_figure("persons_by_area", fig, table="by_area")
        plt.close(fig)
        rel.write_text("notes.md", "# Notes\nPersons by area, 2017.\n")
    return out


def test_table_is_suppressed_and_written_as_csv_and_parquet(tmp_path):
    out = write_release(tmp_path / "rel")
    csv = (tmp_path / "rel" / "by_area.csv").read_text()
    assert csv.splitlines() == [
        "area,year,n,den,share",
        "Total,2017,70,180,0.3888888888888889",
        "north,2017,,70,",
        "park,2017,,50,",
        "rest,2017,40,60,0.6666666666666666",
    ]
    back = pd.read_parquet(tmp_path / "rel" / "by_area.parquet")
    pd.testing.assert_frame_equal(back, out, check_dtype=False)


def test_rerun_is_byte_identical(tmp_path):
    inp = tmp_path / "persons.csv"
    inp.write_text("pid\nx\n")
    write_release(tmp_path / "a" / "rel", inputs=[inp])
    write_release(tmp_path / "b" / "rel", inputs=[inp])
    files_a = sorted(p.name for p in (tmp_path / "a" / "rel").iterdir())
    assert files_a == ["by_area.csv", "by_area.parquet", "manifest.json", "notes.md",
                       "persons_by_area.png", "persons_by_area.svg"]
    for name in files_a:
        assert (tmp_path / "a" / "rel" / name).read_bytes() == (
            tmp_path / "b" / "rel" / name).read_bytes(), name


def test_manifest_records_inputs_outputs_settings_and_suppression(tmp_path):
    inp = tmp_path / "extract"
    inp.mkdir()
    (inp / "persons.csv").write_text("pid\nx\n")
    toml = tmp_path / "extract.toml"
    toml.write_text('name = "x"\n')
    with Release(tmp_path / "rel", seed=11, inputs=[inp], extract_toml=toml) as rel:
        rel.write_table("by_area", TABLE, count_cols=["n", "den"], by=["area", "year"],
                        totals={"area": "Total"}, shares={"share": ("n", "den")})
    m = json.loads((tmp_path / "rel" / "manifest.json").read_text())
    assert m["seed"] == 11
    assert m["disclosure"]["enabled"] is True and m["disclosure"]["threshold"] == 5
    assert m["inputs"] == [{"path": f"{inp}/persons.csv", "bytes": 6,
                            "sha256": sha256_file(inp / "persons.csv")}]
    assert m["extract_toml"]["sha256"] == sha256_file(toml)
    assert m["environment"]["packages"]["pandas"] == pd.__version__
    outputs = {o["path"]: o["sha256"] for o in m["outputs"]}
    assert outputs == {name: sha256_file(tmp_path / "rel" / name)
                       for name in ("by_area.csv", "by_area.parquet")}
    # counts per column, the rules merged: a column whose blanks were all primary
    # would otherwise tell an attacker each is below the threshold
    assert {(r["column"], r["rule"], r["suppressed_cells"]) for r in m["suppression"]} == {
        ("n", "suppressed", 2), ("share", "suppressed", 2)}


def test_disabled_disclosure_is_recorded(tmp_path):
    off = DisclosureSettings(enabled=False, reason="synthetic extract")
    with pytest.warns(DisclosureWarning, match="disabled"):
        out = write_release(tmp_path / "rel", disclosure=off)
    assert out["n"].tolist() == [70, 27, 3, 40]
    m = json.loads((tmp_path / "rel" / "manifest.json").read_text())
    assert m["disclosure"]["disabled"] is True
    assert m["disclosure"]["reason"] == "synthetic extract"
    assert m["suppression"] == []


def test_rounding_is_applied_after_suppression(tmp_path):
    df = pd.DataFrame({"area": ["Total", "park", "rest", "north"], "n": [72, 3, 43, 26]})
    with Release(tmp_path / "rel", disclosure=DisclosureSettings(rounding="base")) as rel:
        out = rel.write_table("t", df, count_cols=["n"], totals={"area": "Total"})
    # rows sorted by area; park (3) and its complement north (26) suppressed first
    assert out["area"].tolist() == ["Total", "north", "park", "rest"]
    assert out["n"].tolist() == [70, pd.NA, pd.NA, 45]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"count_cols": ["n"], "by": ["area"]}, r"columns \['year', 'den', 'share'\]"),
        ({"count_cols": ["n", "den"]}, r"numeric columns \['year', 'share'\]"),
        ({}, "declare its count columns"),
    ],
)
def test_undeclared_columns_are_refused(tmp_path, kwargs, message):
    with Release(tmp_path / "rel") as rel, pytest.raises(DisclosureError, match=message):
        rel.write_table("t", TABLE, **kwargs)


def test_pid_columns_never_leave(tmp_path):
    df = pd.DataFrame({"pid": ["a"], "n": [10]})
    with Release(tmp_path / "rel") as rel, pytest.raises(DisclosureError, match="person ids"):
        rel.write_table("t", df, count_cols=["n"])


def test_figure_needs_a_released_table(tmp_path):
    fig, _ = plt.subplots()
    with Release(tmp_path / "rel") as rel, pytest.raises(DisclosureError, match="write the table"):
        rel.write_figure("f", fig, table="nothing")
    plt.close(fig)


def test_figure_showing_a_cpr_number_is_refused(tmp_path):
    fig, ax = plt.subplots()
    ax.set_title("case 010190-1234")
    with Release(tmp_path / "rel") as rel:
        rel.write_table("t", TABLE[["area", "n"]], count_cols=["n"])
        with pytest.raises(DisclosureError, match="cpr_hyphenated"):
            rel.write_figure("f", fig, table="t")
        assert not (rel._tmp / "f.svg").exists()
    plt.close(fig)


def test_text_with_small_count_or_cpr_is_refused(tmp_path):
    with Release(tmp_path / "rel") as rel:
        with pytest.raises(DisclosureError, match="small_count"):
            rel.write_text("report.html", "<p>n = 3 persons</p>")
        with pytest.raises(DisclosureError, match="cpr_shaped"):
            rel.write_text("run.log", "read 0101901234\n")
    assert sorted(p.name for p in (tmp_path / "rel").iterdir()) == ["manifest.json"]


def test_writing_outside_the_with_block_is_refused(tmp_path):
    rel = Release(tmp_path / "rel")
    with pytest.raises(UserError, match="with-block"):
        rel.write_table("t", TABLE, count_cols=["n"])


def test_error_inside_leaves_old_release_untouched(tmp_path):
    write_release(tmp_path / "rel")
    before = (tmp_path / "rel" / "manifest.json").read_bytes()
    with pytest.raises(RuntimeError), Release(tmp_path / "rel") as rel:
        rel.write_table("other", TABLE[["area", "n"]], count_cols=["n"])
        raise RuntimeError("analysis failed")
    assert (tmp_path / "rel" / "manifest.json").read_bytes() == before
    assert not (tmp_path / "rel" / "other.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_existing_release_is_replaced_whole(tmp_path):
    write_release(tmp_path / "rel")
    with Release(tmp_path / "rel") as rel:
        rel.write_table("other", TABLE[["area", "n"]], count_cols=["n"])
    assert sorted(p.name for p in (tmp_path / "rel").iterdir()) == [
        "manifest.json", "other.csv", "other.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_linked_tables_of_one_population_are_protected_together(tmp_path):
    by_sex = pd.DataFrame({"sex": ["F", "M"], "n": [20, 22]})
    by_sex_age = pd.DataFrame({"sex": ["F", "F", "M", "M"], "age": ["young", "old"] * 2,
                               "n": [2, 18, 10, 12]})
    with Release(tmp_path / "rel") as rel:
        rel.write_table("by_sex", by_sex, count_cols=["n"], population="children")
        out = rel.write_table("by_sex_age", by_sex_age, count_cols=["n"], population="children")
    f = out[out.sex == "F"]
    assert f["n"].isna().all()  # F-old would give F-young as 20 - 18


def test_model_and_km_tables_pass_their_rules(tmp_path):
    tidy = pd.DataFrame({"term": ["att"], "estimate": [0.1], "std_error": [0.02]})
    support = pd.DataFrame({"group": ["t", "c"], "n_persons": [3, 90]})
    curve = pd.DataFrame({"time": [0, 1, 2], "n_risk": [20, 20, 3], "n_event": [0, 6, 1],
                          "estimate": [1.0, 0.7, 0.47]})
    with Release(tmp_path / "rel") as rel:
        m = rel.write_table("did", tidy, kind="model", support=support)
        k = rel.write_table("km", curve, kind="km")
    assert m["estimate"].isna().all()
    assert k.to_dict("list") == {"time": [0, 1], "estimate": [1.0, 0.7]}


KILLED_RUN = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from cohort.disclosure import Release
    with Release(sys.argv[1]) as rel:
        rel.write_table("t", pd.DataFrame({"area": ["a", "b"], "n": [10, 20]}),
                        count_cols=["n"])
        print("half-way", flush=True)
        time.sleep(60)
""")


@pytest.mark.parametrize("existing", [False, True])
def test_a_run_killed_half_way_leaves_no_partial_release(tmp_path, existing):
    target = tmp_path / "rel"
    if existing:
        write_release(target)
        before = sorted(p.name for p in target.iterdir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(target)],
                            stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "half-way"
        assert any(p.name.startswith(".rel.partial-") for p in tmp_path.iterdir())
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    if existing:
        assert sorted(p.name for p in target.iterdir()) == before
    else:
        assert not target.exists()
    # the next run clears the dead run's partial folder
    with Release(target) as rel:
        rel.write_table("t", pd.DataFrame({"area": ["a"], "n": [10]}), count_cols=["n"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_ids_as_dimension_values_are_refused(tmp_path):
    df = pd.DataFrame({"person_key": [f"k{i:03d}x{i % 7}" for i in range(12)], "n": [1] * 12})
    with Release(tmp_path / "rel") as rel:
        with pytest.raises(DisclosureError, match="pid_values"):
            rel.write_table("t", df, count_cols=["n"])
        assert not any(rel._tmp.iterdir())


def test_rows_keep_the_order_of_their_meaning(tmp_path):
    from cohort.disclosure import ModelOutput

    tidy = pd.DataFrame({"term": ["e=2", "e=-2", "e=-10", "e=0", "sup_t_critical", "e=1"],
                         "estimate": [0.1, 0.2, 0.3, 0.4, 2.7, 0.5]})
    steps = pd.DataFrame({"step": pd.Categorical(["everyone", "born 1990-2003", "analysed"],
                                                 categories=["everyone", "born 1990-2003",
                                                             "analysed"]),
                          "n": [300, 120, 90]})
    with Release(tmp_path / "rel") as rel:
        es = rel.write_table("es", tidy, ModelOutput(support=pd.DataFrame({"n_persons": [50]})))
        flow = rel.write_table("flow", steps, count_cols=["n"], by=["step"])
    assert es["term"].tolist() == ["e=-10", "e=-2", "e=0", "e=1", "e=2", "sup_t_critical"]
    assert flow["step"].tolist() == ["everyone", "born 1990-2003", "analysed"]
    assert (tmp_path / "rel" / "flow.csv").read_text().splitlines()[1].startswith("everyone")
