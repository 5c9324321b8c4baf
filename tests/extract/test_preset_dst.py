"""Spec tests of the DST preset on tiny hand-written DST tables."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cohort.exceptions import ContractError
from cohort.extract.presets._dst_dream import week_column, week_monday
from cohort.extract.presets._dst_education import catalogue_from_rows, main_area
from cohort.extract.presets.base import CanonicalSource, RawTable
from cohort.extract.presets.dst import PRESET, region_code

END = date(2019, 12, 31)


class Extract:
    """Raw tables as the reader would deliver them: lower-cased names plus
    _source_row (1-based) and _source_file."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.raw: dict[str, RawTable] = {}

    def add(self, stem: str, data: dict[str, list], *, suffix: str = "csv") -> None:
        df = pd.DataFrame(data)
        df.columns = [c.lower() for c in df.columns]
        df["_source_row"] = range(1, len(df) + 1)
        df["_source_file"] = f"{stem}.{suffix}"
        self.con.register(f"df_{stem}", df)
        self.con.execute(f"CREATE OR REPLACE VIEW raw_{stem} AS SELECT * FROM df_{stem}")
        cols = tuple(c for c in df.columns if not c.startswith("_source_"))
        self.raw[stem] = RawTable(stem, f"raw_{stem}", f"{stem}.{suffix}", len(df), cols)

    def run(self, **options) -> dict[str, CanonicalSource]:
        return PRESET.to_canonical(self.con, self.raw, extract_end=END, options=options)

    def rows(self, src: CanonicalSource, cols: str, order: str = "_source_file, _source_row"):
        return self.con.execute(f"SELECT {cols} FROM {src.view} ORDER BY {order}").fetchall()


def test_preset_name_and_protocol():
    assert PRESET.name == "dst"


# ------------------------------------------------------------------ BEF


def test_bef_names_sex_and_origin_one_year():
    x = Extract()
    x.add(
        "bef2018",
        {
            "PNR": ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"],
            "FOED_DAG": [
                "1990-01-02",
                "02JAN1991",
                "1992-03-04",
                "1993-01-01",
                "1994-01-01",
                "1995-01-01",
                "1996-01-01",
                "1997-01-01",
                "not a date",
            ],
            "KOEN": ["1", "2", "M", "K", "9", "1", "2", "1", None],
            "MOR_ID": ["m1", None, "", "m4", None, None, None, None, None],
            "FAR_ID": [None, "f2", None, None, None, None, None, None, None],
            "IE_TYPE": ["1", "2", "2", "3", "3", "9", "5", "2", None],
            "OPR_LAND": ["5100", "5110", "5432", "5390", "5999", "5100", "5100", None, None],
        },
    )
    src = x.run()["persons"]
    assert src.rows_read == 9
    assert src.raw_names == ("bef2018",)
    got = x.rows(
        src,
        "pid, birth_date, sex, mother_pid, father_pid, origin, death_date, "
        "_source_row, _source_file",
    )
    assert got == [
        ("p1", "1990-01-02", "M", "m1", None, "danish", None, 1, "bef2018.csv"),
        ("p2", "1991-01-02", "F", None, "f2", "immigrant_western", None, 2, "bef2018.csv"),
        ("p3", "1992-03-04", "M", None, None, "immigrant_nonwestern", None, 3, "bef2018.csv"),
        ("p4", "1993-01-01", "F", "m4", None, "descendant_western", None, 4, "bef2018.csv"),
        ("p5", "1994-01-01", "KOEN=9", None, None, "descendant_nonwestern", None, 5, "bef2018.csv"),
        ("p6", "1995-01-01", "M", None, None, None, None, 6, "bef2018.csv"),
        ("p7", "1996-01-01", "F", None, None, "IE_TYPE=5", None, 7, "bef2018.csv"),
        ("p8", "1997-01-01", "M", None, None, None, None, 8, "bef2018.csv"),
        ("p9", "not a date", None, None, None, None, None, 9, "bef2018.csv"),
    ]


def test_bef_variable_variants_typed_columns():
    x = Extract()
    x.add(
        "bef",
        {
            "PERSON_ID": [101, 102],
            "FOED_DAG": [date(2000, 5, 6), date(2001, 7, 8)],
            "KOEN": [2.0, 1.0],
            "MOR_PID": [201, None],
            "FAR_PID": [None, 302],
            "IE_TYPE": [1, 1],
            "OPR_LAND": [5100, 5100],
        },
        suffix="sas7bdat",
    )
    got = x.rows(x.run()["persons"], "pid, birth_date, sex, mother_pid, father_pid, origin")
    assert got == [
        ("101", "2000-05-06", "F", "201", None, "danish"),
        ("102", "2001-07-08", "M", None, "302", "danish"),
    ]


def test_bef_years_combined_latest_year_wins_with_parent_fallback_and_dod():
    x = Extract()
    x.add(
        "bef2015",
        {
            "PNR": ["a", "b"],
            "FOED_DAG": ["2000-01-01", "1980-01-01"],
            "KOEN": ["1", "2"],
            "MOR_ID": ["ma", None],
            "IE_TYPE": ["3", "2"],
            "OPR_LAND": ["5100", "5110"],
        },
    )
    x.add(
        "bef201812",
        {
            "PNR": ["a", "c", "c"],
            "FOED_DAG": ["2000-01-01", "1970-01-01", "1970-01-01"],
            "KOEN": ["1", "1", "1"],
            "MOR_ID": [None, None, None],
            "IE_TYPE": ["1", "1", "1"],
            "OPR_LAND": ["5100", "5100", "5100"],
        },
    )
    x.add("dod", {"PNR": ["b", "zz"], "DODDATO": ["2016-03-04", "2017-01-01"]})
    src = x.run()["persons"]
    assert src.raw_names == ("bef2015", "bef201812", "dod")
    assert src.rows_read == 4  # a (2018), b (2015), c twice (a duplicate within 2018)
    got = x.rows(
        src,
        "pid, mother_pid, origin, death_date, _source_file, _source_row",
        order="pid, _source_row",
    )
    assert got == [
        ("a", "ma", "danish", None, "bef201812.csv", 1),
        ("b", None, "immigrant_western", "2016-03-04", "bef2015.csv", 2),
        ("c", None, "danish", None, "bef201812.csv", 2),
        ("c", None, "danish", None, "bef201812.csv", 3),
    ]


def test_bef_missing_required_column_is_fatal():
    x = Extract()
    x.add("bef2018", {"PNR": ["a"], "KOEN": ["1"]})
    with pytest.raises(ContractError, match="FOED_DAG"):
        x.run()


# ------------------------------------------------------ BEFBOP / BEFADR


def test_befbop_and_befadr_with_area_map():
    x = Extract()
    x.add(
        "befbop",
        {
            "PNR": ["a", "a"],
            "ADRESSE_ID": ["x1", "x2"],
            "BOP_VFRA": ["2010-01-01", "2015-06-01"],
            "BOP_VTIL": ["2015-06-01", "9999-12-31"],
        },
    )
    x.add("befadr", {"ADRESSE_ID": ["x1", "x2", "x3"], "KOM": ["0159", "101", "159"]})
    x.add("area_map", {"address_id": ["x1", "x9"], "area": ["vaerebro_park", "other"]})
    out = x.run()
    assert x.rows(out["residence"], "pid, address_id, moved_in, moved_out") == [
        ("a", "x1", "2010-01-01", "2015-06-01"),
        ("a", "x2", "2015-06-01", None),
    ]
    assert out["addresses"].raw_names == ("befadr", "area_map")
    assert x.rows(out["addresses"], "address_id, municipality, area") == [
        ("x1", "159", "vaerebro_park"),
        ("x2", "101", None),
        ("x3", "159", None),
    ]


def test_befbop_inclusive_end_option():
    x = Extract()
    x.add(
        "befbop",
        {
            "PNR": ["a"],
            "ADRESSE_ID": ["x1"],
            "BOP_VFRA": ["2010-01-01"],
            "BOP_VTIL": ["2015-05-31"],
        },
    )
    got = x.rows(x.run(bop_vtil_inclusive=True)["residence"], "moved_out")
    assert got == [("2015-06-01",)]


def test_area_map_duplicate_address_is_fatal():
    x = Extract()
    x.add("befadr", {"ADRESSE_ID": ["x1"], "KOM": ["159"]})
    x.add("area_map", {"address_id": ["x1", "x1"], "area": ["a", "b"]})
    with pytest.raises(ContractError, match="1 address_id"):
        x.run()


def test_region_codes_both_forms():
    assert [region_code(c) for c in ("81", "85", 1081, "1085", "0", "99")] == [
        1081,
        1085,
        1081,
        1085,
        None,
        None,
    ]


# --------------------------------------------------------------- AKM / IND


def test_akm_socio13_and_socio02_by_year_and_unknown_code():
    x = Extract()
    x.add(
        "akm2012",
        {"PNR": ["a", "b", "c"], "SOCIO": ["1", "2", "3"], "SOCIO02": ["135", "210", "321"]},
    )
    x.add(
        "akm2015",
        {
            "PNR": ["a", "b", "c", "d", "e", "f", "g"],
            "SOCIO13": ["114", "310", "322", "330", "410", "0", "555"],
        },
    )
    x.add("akm1995", {"PNR": ["a"], "SOCIO": ["91"]})
    src = x.run()["labour"]
    assert src.rows_read == 11
    got = x.rows(src, "pid, year, status")
    assert got == [
        ("a", 1995, "SOCIO=91"),
        ("a", 2012, "employed"),
        ("b", 2012, "unemployed"),
        ("c", 2012, "public_support"),
        ("a", 2015, "self_employed"),
        ("b", 2015, "student"),
        ("c", 2015, "retired"),
        ("d", 2015, "public_support"),
        ("e", 2015, "other"),
        ("f", 2015, None),
        ("g", 2015, "SOCIO13=555"),
    ]


def test_akm_socio13_falls_back_to_socio02_per_row_and_single_file_year_column():
    x = Extract()
    x.add(
        "akm",
        {
            "PNR": ["a", "b"],
            "AAR": ["2010", "2011"],
            "SOCIO13": [None, "120"],
            "SOCIO02": ["220", "135"],
        },
    )
    assert x.rows(x.run()["labour"], "pid, year, status") == [
        ("a", 2010, "public_support"),
        ("b", 2011, "self_employed"),
    ]


def test_ind_names_by_year():
    x = Extract()
    x.add("ind1995", {"PNR": ["a"], "DISPON_NY": ["100.5"], "PERINDKIALT": ["200"]})
    x.add(
        "ind2015",
        {"PNR": ["a"], "DISPON_13": [300.25], "DISPON_NY": [1.0], "PERINDKIALT_13": [400.0]},
    )
    got = x.rows(x.run()["income"], "pid, year, disposable_income, gross_income")
    assert got == [("a", 1995, "100.5", "200"), ("a", 2015, "300.25", "400")]


# ------------------------------------------------------------------ DREAM


def _dream_weeks(first: date, n: int) -> list[str]:
    return [week_column(date.fromordinal(first.toordinal() + 7 * k)) for k in range(n)]


def test_week_helpers():
    assert week_monday(2020, 53) == date(2020, 12, 28)
    assert week_monday(2019, 53) is None
    assert week_column(date(2021, 1, 4)) == "y_2101"
    assert week_column(date(1992, 1, 6)) == "y_9202"


def test_dream_wide_to_spells():
    # ISO 2020 has 53 weeks; columns 2020 week 50 .. 2021 week 6.
    cols = _dream_weeks(date(2020, 12, 7), 10)
    assert cols[3] == "y_2053" and cols[4] == "y_2101"
    x = Extract()
    data = {"PNR": ["a", "b", "c", "d", "e"]}
    weekly = {
        # a: 111 over the year boundary incl. week 53, then one blank week, then 130
        "a": ["111", "111", "111", "111", "112", "", "130", "130", None, None],
        # b: sickness then parental leave back to back; a non-benefit week (121) ends it
        "b": ["890", "890", "881", "121", "881", None, None, None, None, None],
        # c: an unknown code forms its own (quarantined) spell
        "c": [None, "775", "775", None, None, None, None, None, None, None],
        # d: no benefit at all
        "d": [None] * 10,
        # e: one blank week splits two spells of the same benefit
        "e": [None, None, None, None, None, "651", "", "652", None, None],
    }
    for k, col in enumerate(cols):
        data[col] = [weekly[p][k] for p in data["PNR"]]
    x.add("dream", data)
    src = x.run()["benefits"]
    got = x.rows(src, "pid, benefit, start_date, end_date, _source_row", order="pid, start_date")
    assert got == [
        ("a", "unemployment_insurance", date(2020, 12, 7), date(2021, 1, 11), 1),
        ("a", "cash_assistance", date(2021, 1, 18), date(2021, 2, 1), 1),
        ("b", "sickness", date(2020, 12, 7), date(2020, 12, 21), 2),
        ("b", "parental_leave", date(2020, 12, 21), date(2020, 12, 28), 2),
        ("b", "parental_leave", date(2021, 1, 4), date(2021, 1, 11), 2),
        ("c", "DREAM=775", date(2020, 12, 14), date(2020, 12, 28), 3),
        ("e", "student_grant", date(2021, 1, 11), date(2021, 1, 18), 5),
        ("e", "student_grant", date(2021, 1, 25), date(2021, 2, 1), 5),
    ]
    assert src.rows_read == 8


def test_dream_spell_reaching_the_last_week_at_extract_end_stays_open():
    x = Extract()
    cols = _dream_weeks(date(2019, 12, 16), 3)  # last week: Monday 2019-12-30
    data = {"PNR": ["a", "b"]}
    data.update({c: ["783", v] for c, v in zip(cols, ["651", "651", None], strict=True)})
    x.add("dream", data)
    got = x.rows(x.run()["benefits"], "pid, benefit, start_date, end_date", order="pid, start_date")
    assert got == [
        ("a", "disability_pension", date(2019, 12, 16), None),
        ("b", "student_grant", date(2019, 12, 16), date(2019, 12, 30)),
    ]


def test_dream_per_year_files_and_typed_codes():
    x = Extract()
    x.add("dream2015", {"PNR": ["a"], "y_52": [998], "y_53": [998]})
    x.add("dream2016", {"PNR": ["a"], "y_01": [998], "y_02": [None], "y_03": [None]})
    got = x.rows(x.run()["benefits"], "benefit, start_date, end_date, _source_file")
    assert got == [("old_age_pension", date(2015, 12, 21), date(2016, 1, 11), "dream2015.csv")]


def test_dream_impossible_week_is_fatal():
    x = Extract()
    x.add("dream", {"PNR": ["a"], "y_1953": ["111"]})
    with pytest.raises(ContractError, match="Y_1953"):
        x.run()


# -------------------------------------------------------------- education

CATALOGUE = """fmtname,start,end,label,type
DISCED15_H,1006,1011,H10 Grundskole,N
DISCED15_H,1545,1545,H15 Forberedende uddannelser,N
DISCED15_H,1145,1145,H20 Gymnasiale uddannelser,N
DISCED15_H,4112,4112,H30 Erhvervsfaglige uddannelser,N
DISCED15_H,5166,5166,H50 Mellemlange videregående uddannelser,N
DISCED15_H,7001,7001,H70 Lange videregående uddannelser,N
DISCED15_H,9999,9999,H90 Uoplyst,N
DISCED15_H,**OTHER**,**OTHER**,Ukendt,N
"""


def _education_extract(tmp_path: Path) -> tuple[Extract, Path]:
    cat = tmp_path / "formats.csv"
    cat.write_text(CATALOGUE, encoding="utf-8")
    x = Extract()
    x.add(
        "kotre",
        {
            "PNR": ["a", "a", "b", "c", "d", "e", "f", "g"],
            "UDD": ["1009", "1145", "4112", "5166", "1545", "8888", "9999", "7001"],
            "AUDD": ["1009", "0", "0", "5166", "0", "0", "0", None],
            "ELEV3_VFRA": [
                "2000-08-01",
                "2010-08-01",
                "2012-08-01",
                "2014-09-01",
                "2015-08-01",
                "2016-08-01",
                "2016-08-01",
                "2018-09-01",
            ],
            "ELEV3_VTIL": [
                "2010-06-30",
                "2011-01-15",
                None,
                "2017-06-30",
                "2030-06-30",
                "2017-01-01",
                "2017-01-01",
                "9999-12-31",
            ],
        },
    )
    return x, cat


def test_education_levels_via_csv_catalogue_and_outcomes(tmp_path):
    x, cat = _education_extract(tmp_path)
    src = x.run(education_catalogue=str(cat))["education"]
    got = x.rows(src, "pid, level, program, start_date, end_date, outcome")
    assert got == [
        ("a", "primary", "1009", "2000-08-01", "2010-06-30", "completed"),
        ("a", "youth_general", "1145", "2010-08-01", "2011-01-15", "dropped"),
        ("b", "youth_vocational", "4112", "2012-08-01", None, "ongoing"),
        ("c", "bachelor", "5166", "2014-09-01", "2017-06-30", "completed"),
        ("d", "preparatory", "1545", "2015-08-01", None, "ongoing"),
        ("e", "UDD=8888", "8888", "2016-08-01", "2017-01-01", "dropped"),
        ("f", None, "9999", "2016-08-01", "2017-01-01", "dropped"),
        ("g", "master", "7001", "2018-09-01", None, "ongoing"),
    ]


def test_education_catalogue_as_raw_table_and_hf_names(tmp_path):
    x = Extract()
    x.add("udd_formats", {"code": ["5166"], "main_area": ["50"]})
    x.add(
        "uddf",
        {
            "PNR": ["a"],
            "UDD": ["5166"],
            "AUDD": ["5166"],
            "HF_VFRA": ["01SEP2014"],
            "HF_VTIL": ["30JUN2017"],
        },
    )
    src = x.run(education_catalogue="udd_formats.csv")["education"]
    assert "udd_formats" in src.raw_names
    assert x.rows(src, "level, start_date, end_date, outcome") == [
        ("bachelor", "2014-09-01", "2017-06-30", "completed")
    ]


def test_education_needs_catalogue_and_a_choice_between_kotre_and_uddf(tmp_path):
    x, cat = _education_extract(tmp_path)
    with pytest.raises(ContractError, match="education_catalogue"):
        x.run()
    x.add(
        "uddf",
        {
            "PNR": ["a"],
            "UDD": ["5166"],
            "AUDD": ["5166"],
            "HF_VFRA": ["2014-09-01"],
            "HF_VTIL": ["2017-06-30"],
        },
    )
    with pytest.raises(ContractError, match="education_source"):
        x.run(education_catalogue=str(cat))
    src = x.run(education_catalogue=str(cat), education_source="uddf")["education"]
    assert src.raw_names[0] == "uddf" and src.rows_read == 1


def test_catalogue_parsing():
    assert main_area("H29 Erhvervsfaglige grundforløb") == "H29"
    assert main_area(" 35 ") == "H35"
    rows = [
        {"fmtname": "$AUDDH", "start": "10", "end": "12", "label": "H10"},
        {"fmtname": "OTHERFMT", "start": "1", "end": "1", "label": "Something"},
    ]
    assert catalogue_from_rows(rows, None) == {"10": "H10", "11": "H10", "12": "H10"}
    assert catalogue_from_rows(rows, "otherfmt") == {"1": "SOMETHING"}
    with pytest.raises(ContractError, match="not found"):
        catalogue_from_rows(rows, "nope")


def _sas_catalogue(reference_dir: Path) -> Path | None:
    env = os.environ.get("COHORT_TEST_SAS7BCAT")
    for p in (Path(env) if env else None, reference_dir / "sas" / "test_formats_linux.sas7bcat"):
        if p is not None and p.is_file():
            return p
    return None


def test_real_sas_catalogue_when_available(reference_dir):
    # pyreadstat's own test catalogue (formats $A and $B: 1 Male, 2 Female); not in the
    # repository yet, so this runs only where the file is provided.
    path = _sas_catalogue(reference_dir)
    if path is None:
        pytest.skip("no .sas7bcat available (set COHORT_TEST_SAS7BCAT)")
    from cohort.extract.presets._dst_education import read_sas_catalogue

    assert read_sas_catalogue(path, "a") == {"1": "MALE", "2": "FEMALE"}
    with pytest.raises(ContractError, match="education_format"):
        read_sas_catalogue(path, None)
    # Through the preset: labels that name no main area reach no level.
    x = Extract()
    x.add(
        "kotre",
        {
            "PNR": ["a"],
            "UDD": ["1"],
            "AUDD": ["0"],
            "ELEV3_VFRA": ["2010-01-01"],
            "ELEV3_VTIL": [None],
        },
    )
    src = x.run(education_catalogue=str(path), education_format="$B")["education"]
    assert x.rows(src, "level, outcome") == [("DISCED15=MALE", "ongoing")]


def test_unreadable_sas_catalogue():
    # A file that is no catalogue: one message, no traceback from pyreadstat.
    from cohort.extract.presets._dst_education import read_sas_catalogue

    with pytest.raises(ContractError, match="cannot be read"):
        read_sas_catalogue(Path(__file__), None)


# ---------------------------------------------------- VNDS / BUA / KRAF


def test_vnds_bua_kraf():
    x = Extract()
    x.add(
        "vnds",
        {
            "PNR": ["a", "a", "b"],
            "INDUD_KODE": ["U", "I", "X"],
            "HAEND_DATO": ["2012-01-01", "2013-02-02", "2014-03-03"],
        },
    )
    x.add(
        "bua2017",
        {
            "PNR": ["a", "b", "c", "d"],
            "STARTDATO": ["2015-01-01"] * 4,
            "SLUTDATO": ["2016-01-01", None, "9999-12-31", "2016-01-01"],
            "ANBRINGELSESSTED": ["21", "9", "6", "99"],
        },
    )
    x.add(
        "kraf",
        {
            "PNR": ["a"] * 6,
            "AFG_AFGOEDTO": ["2018-05-05"] * 6,
            "AFG_GER7": ["1234567", "3210000", "3410000", "2000000", "3810000", "9000000"],
        },
    )
    out = x.run()
    assert x.rows(out["migrations"], "pid, date, direction") == [
        ("a", "2012-01-01", "out"),
        ("a", "2013-02-02", "in"),
        ("b", "2014-03-03", "INDUD_KODE=X"),
    ]
    assert x.rows(out["placements"], "pid, start_date, end_date, kind") == [
        ("a", "2015-01-01", "2016-01-01", "foster_family"),
        ("b", "2015-01-01", None, "institution"),
        ("c", "2015-01-01", None, "other"),
        ("d", "2015-01-01", "2016-01-01", "ANBRINGELSESSTED=99"),
    ]
    assert [r[0] for r in x.rows(out["convictions"], "offence")] == [
        "penal_code",
        "drugs",
        "weapons",
        "traffic",
        "other",
        "AFG_GER7=9000000",
    ]


def test_column_override_for_unknown_variable_names():
    x = Extract()
    x.add("bua", {"PNR": ["a"], "BEGIN": ["2015-01-01"], "ANBSTED": ["21"]})
    out = x.run(columns={"bua": {"start_date": "BEGIN"}})
    assert x.rows(out["placements"], "start_date, end_date, kind") == [
        ("2015-01-01", None, "foster_family")
    ]
    with pytest.raises(ContractError, match="NOPE"):
        x.run(columns={"bua": {"start_date": "NOPE"}})


# ------------------------------------------------ overrides and passthrough


def test_mapping_override_file_replaces_shipped_table(tmp_path):
    override = tmp_path / "my_socio13.csv"
    override.write_text("code,status\n114,employed\n", encoding="utf-8")
    x = Extract()
    x.add("akm2015", {"PNR": ["a", "b"], "SOCIO13": ["114", "310"]})
    out = x.run(mappings={"socio13": "my_socio13.csv"}, _extract_dir=str(tmp_path))
    assert x.rows(out["labour"], "status") == [("employed",), ("SOCIO13=310",)]


def test_mapping_override_needs_its_columns(tmp_path):
    override = tmp_path / "bad.csv"
    override.write_text("kode,x\n1,M\n", encoding="utf-8")
    x = Extract()
    x.add("bef", {"PNR": ["a"], "FOED_DAG": ["2000-01-01"], "KOEN": ["1"]})
    with pytest.raises(ContractError, match="'code' and 'sex'"):
        x.run(mappings={"koen": str(override)})


def test_passthrough_and_conflict():
    x = Extract()
    x.add("exams", {"pid": ["a"], "year": ["2017"], "danish": ["7"], "math": ["4"]})
    x.add("absence", {"pid": ["a"], "year": ["2017"], "unauthorised_days": ["3"]})
    out = x.run()
    assert set(out) == {"exams", "absence"}
    assert out["exams"].rows_read == 1 and out["exams"].raw_names == ("exams",)
    assert x.rows(out["exams"], "pid, year, danish, math") == [("a", "2017", "7", "4")]
    x.add("convictions", {"pid": ["a"], "decision_date": ["2018-01-01"], "offence": ["drugs"]})
    x.add("kraf", {"PNR": ["a"], "AFG_AFGOEDTO": ["2018-05-05"], "AFG_GER7": ["1234567"]})
    with pytest.raises(ContractError, match="two sources"):
        x.run()


def test_unrelated_files_are_not_claimed():
    x = Extract()
    x.add("notes", {"a": ["1"]})
    x.add(
        "befbop",
        {"PNR": ["a"], "ADRESSE_ID": ["x"], "BOP_VFRA": ["2010-01-01"], "BOP_VTIL": [None]},
    )
    out = x.run()
    claimed = {n for s in out.values() for n in s.raw_names}
    assert claimed == {"befbop"}


def test_preset_can_run_twice_on_one_connection():
    x = Extract()
    x.add("bef2018", {"PNR": ["a"], "FOED_DAG": ["2000-01-01"], "KOEN": ["1"]})
    assert x.run()["persons"].rows_read == 1
    x.add("bef2019", {"PNR": ["a"], "FOED_DAG": ["2000-01-01"], "KOEN": ["2"]})
    assert x.rows(x.run()["persons"], "sex") == [("F",)]
    del x.raw["bef2019"]
    assert x.rows(x.run()["persons"], "sex") == [("M",)]
