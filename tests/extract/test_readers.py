"""Every readable format gives the same canonical tables; the real SAS and Stata
files of pyreadstat's test suite are read correctly."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cohort.exceptions import ContractError, DataQualityWarning
from cohort.extract import read_extract, write_extract
from cohort.extract._meta import read_meta
from cohort.extract._readers import read_raw

from .conftest import base_frames


def _read(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_extract(path)


def _canonical(ex):
    return {t: ex.to_pandas(t) for t in ex.tables}


@pytest.fixture
def reference_tables(tmp_path):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Søborg Å"  # non-ASCII survives every format
    with _read(write_extract(frames, tmp_path / "pq", extract_end="2019-12-31")) as ex:
        return _canonical(ex)


def _same(a, b):
    assert a.keys() == b.keys()
    for t in a:
        pd.testing.assert_frame_equal(a[t], b[t], check_dtype=False)


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8", ","), ("latin-1", ";")])
def test_csv_round_trip(tmp_path, reference_tables, encoding, delimiter):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Søborg Å"
    path = write_extract(frames, tmp_path / "csv", extract_end="2019-12-31", format="csv",
                         encoding=encoding, delimiter=delimiter)
    with _read(path) as ex:
        _same(_canonical(ex), reference_tables)


def test_partitioned_parquet_folder(tmp_path, reference_tables):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Søborg Å"
    path = write_extract(frames, tmp_path / "part", extract_end="2019-12-31")
    res = frames["residence"]
    (path / "residence.parquet").unlink()
    folder = path / "residence"
    (folder / "part_a").mkdir(parents=True)
    (folder / "part_b").mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(res.iloc[:2], preserve_index=False),
                   folder / "part_a" / "part-0.parquet")
    pq.write_table(pa.Table.from_pandas(res.iloc[2:], preserve_index=False),
                   folder / "part_b" / "part-0.parquet")
    with _read(path) as ex:
        _same(_canonical(ex), reference_tables)
        # row numbers count within each file, and the file is named
        ex.con.execute("SELECT DISTINCT _source_file FROM _checked_residence ORDER BY 1")
        files = [r[0] for r in ex.con.fetchall()]
        assert files == ["residence/part_a/part-0.parquet", "residence/part_b/part-0.parquet"]


def test_stata_round_trip(tmp_path, reference_tables):
    import pyreadstat

    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Søborg Å"
    path = write_extract(frames, tmp_path / "dta", extract_end="2019-12-31")
    for t, df in frames.items():
        (path / f"{t}.parquet").unlink()
        out = df.copy()
        for c in out.columns:
            if out[c].dtype == object and out[c].map(lambda v: hasattr(v, "year")).any():
                out[c] = pd.to_datetime(out[c])
        pyreadstat.write_dta(out, str(path / f"{t}.dta"))
    with _read(path) as ex:
        _same(_canonical(ex), reference_tables)


def test_column_names_are_case_insensitive(tmp_path, reference_tables):
    frames = base_frames()
    frames["addresses"].loc[1, "area"] = "Søborg Å"
    frames["persons"] = frames["persons"].rename(columns={"pid": "PID", "birth_date": "Birth_Date"})
    with _read(write_extract(frames, tmp_path / "case", extract_end="2019-12-31")) as ex:
        _same(_canonical(ex), reference_tables)


def _raw(path: Path, tmp_path: Path) -> pd.DataFrame:
    folder = tmp_path / "raw"
    folder.mkdir(exist_ok=True)
    (folder / "extract.toml").write_text("extract_end = 2019-12-31\n")
    meta = read_meta(folder)
    target = folder / path.name
    shutil.copy(path, target)
    con = duckdb.connect()
    raw = read_raw(con, target.stem, target, meta, folder)
    df = con.execute(f"SELECT * FROM {raw.view} ORDER BY _source_row").df()
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {raw.view}").fetchall()}
    return df, types, raw


def test_sas_sample_types_and_values(reference_dir, tmp_path):
    df, types, raw = _raw(reference_dir / "sas" / "sample.sas7bdat", tmp_path)
    assert raw.rows == 5
    assert raw.columns == ("mychar", "mynum", "mydate", "dtime", "mylabl", "myord", "mytime")
    assert types["mydate"] == "DATE"
    assert types["dtime"].startswith("TIMESTAMP")
    assert str(df["mydate"].iloc[0])[:10] == "2018-05-06"
    assert str(df["mydate"].iloc[1])[:10] == "1880-05-06"
    assert list(df["mychar"].iloc[:3]) == ["a", "b", "c"]
    assert df["mynum"].iloc[2] == pytest.approx(-1000.3)
    assert list(df["_source_row"]) == [1, 2, 3, 4, 5]


def test_sas_binary_compression_reads_the_same(reference_dir, tmp_path):
    a, _, _ = _raw(reference_dir / "sas" / "sample.sas7bdat", tmp_path)
    b, _, _ = _raw(reference_dir / "sas" / "sample_bincompressed.sas7bdat", tmp_path)
    pd.testing.assert_frame_equal(a.drop(columns="_source_file"), b.drop(columns="_source_file"))


def test_sas_special_missing_values_are_null(reference_dir, tmp_path):
    df, _, _ = _raw(reference_dir / "sas" / "missing_test.sas7bdat", tmp_path)
    row = df.iloc[0]
    assert all(pd.isna(row[f"var{i}"]) for i in range(1, 9))
    assert row["var9"] == 1.0


def test_sas_windows_1252_upper_case_names(reference_dir, tmp_path):
    df, _, raw = _raw(reference_dir / "sas" / "test_file_label_win.sas7bdat", tmp_path)
    assert raw.columns == ("id", "sexa", "sexb")
    assert list(df["id"]) == ["ID1", "ID2", "ID3"]


def test_sas_dates_file(reference_dir, tmp_path):
    df, types, raw = _raw(reference_dir / "sas" / "dates.sas7bdat", tmp_path)
    assert raw.rows == 50
    assert types["date"] == "DATE"
    assert str(df["date"].iloc[0])[:10] == "2061-04-15"
    assert str(df["date"].iloc[1])[:10] == "1723-04-21"


def test_stata_sample(reference_dir, tmp_path):
    df, types, raw = _raw(reference_dir / "sas" / "sample.dta", tmp_path)
    assert raw.rows == 5
    assert types["mydate"] == "DATE"
    assert list(df["mylabl"].iloc[:3]) == [1, 2, 1]


def test_sas_persons_table_through_the_whole_pipeline(reference_dir, tmp_path):
    """A real SAS file used as a table: its columns are not the contract's, so
    validation stops with the required-column rule, naming the file."""
    path = write_extract(base_frames(), tmp_path / "sas", extract_end="2019-12-31")
    (path / "persons.parquet").unlink()
    shutil.copy(reference_dir / "sas" / "test_file_label_win.sas7bdat", path / "persons.sas7bdat")
    with (
        pytest.warns(DataQualityWarning, match=r"ignored: \['id', 'sexa', 'sexb'\]"),
        pytest.raises(ContractError, match=r"persons\.sas7bdat: required column\(s\) 'pid'"),
    ):
        read_extract(path)
