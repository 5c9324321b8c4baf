"""Keyed pseudonymisation: stable, keyed, validated, with the key kept secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pickle

import pandas as pd
import pytest

from cohort.disclosure import (
    PSEUDONYM_HEX,
    generate_key_file,
    pseudonymise_file,
    pseudonymise_values,
    read_key,
)
from cohort.exceptions import DataError, UserError

KEY = b"0123456789abcdef0123456789abcdef-test-key"
OTHER = b"fedcba9876543210fedcba9876543210-other-key"
CPRS = ["010190-1234", "2512851234", "0101001234"]


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key.txt"
    path.write_bytes(KEY + b"\n")
    os.chmod(path, 0o600)
    return path


def test_pseudonym_is_truncated_hmac_sha256_of_the_ten_digits():
    expected = hmac.new(KEY, b"0101901234", hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
    assert pseudonymise_values(["010190-1234"], key=KEY) == [expected]
    assert len(expected) == 32


def test_pseudonyms_are_stable_and_hyphen_blind():
    a = pseudonymise_values(CPRS, key=KEY)
    b = pseudonymise_values(["0101901234", "251285-1234", "010100-1234"], key=KEY)
    assert a == b
    assert len(set(a)) == 3


def test_pseudonyms_differ_across_keys():
    a = pseudonymise_values(CPRS, key=KEY)
    b = pseudonymise_values(CPRS, key=OTHER)
    assert not set(a) & set(b)


def test_invalid_numbers_are_counted_never_shown():
    bad = ["3102901234", "12345", "abcdefghij", "0101901234"]
    with pytest.raises(DataError) as err:
        pseudonymise_values(bad, key=KEY)
    assert "3 of 4" in str(err.value)
    for v in bad:
        assert v not in str(err.value)
    out = pseudonymise_values([*bad, None, ""], key=KEY, on_invalid="null")
    assert [v is None for v in out] == [True, True, True, False, True, True]


def test_key_file_readable_by_others_is_refused(key_file):
    os.chmod(key_file, 0o640)
    with pytest.raises(UserError, match="chmod 600"):
        read_key(key_file)
    os.chmod(key_file, 0o604)
    with pytest.raises(UserError, match="group or others"):
        read_key(key_file)
    os.chmod(key_file, 0o600)
    assert read_key(key_file) is not None


def test_key_is_never_shown(key_file, caplog):
    key = read_key(key_file)
    assert KEY.decode() not in repr(key) + str(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("cohort").info("key %s", key)
    assert KEY.decode() not in caplog.text


def test_short_key_is_refused():
    with pytest.raises(UserError, match="at least 32 bytes"):
        pseudonymise_values(CPRS, key=b"short")


def test_generated_key_file_is_owner_only_and_never_overwritten(tmp_path):
    path = generate_key_file(tmp_path / "k")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(path.read_text().strip()) == 64
    with pytest.raises(UserError, match="exists already"):
        generate_key_file(path)


def delivered(tmp_path, suffix):
    df = pd.DataFrame({"CPR": CPRS, "MOR_CPR": ["", "0101601234", "1212121212"],
                       "kommune": ["159", "159", "101"]})
    path = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        df.to_csv(path, index=False, sep=";", encoding="latin-1")
    elif suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_excel(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_files_are_pseudonymised_in_their_format(tmp_path, key_file, suffix):
    src = delivered(tmp_path, suffix)
    out = tmp_path / f"pseudo{suffix}"
    report = pseudonymise_file(src, out, columns=["CPR", "MOR_CPR"], key_file=key_file)
    assert report.rows == 3
    assert report.empty == (0, 1)
    assert report.invalid == (0, 0)
    if suffix == ".csv":
        assert out.read_text().splitlines()[0] == "CPR;MOR_CPR;kommune"
        back = pd.read_csv(out, sep=";", dtype=str, keep_default_na=False)
    elif suffix == ".parquet":
        back = pd.read_parquet(out)
    else:
        back = pd.read_excel(out, dtype=str)
    assert back["CPR"].tolist() == pseudonymise_values(CPRS, key=KEY)
    assert back["kommune"].astype(str).tolist() == ["159", "159", "101"]
    raw = out.read_bytes()
    for v in ("0101901234", "010190-1234", KEY.decode()):
        assert v.encode() not in raw


def test_excel_numbers_get_their_leading_zero_back(tmp_path, key_file):
    src = tmp_path / "x.xlsx"
    pd.DataFrame({"CPR": [101901234, 2512851234]}).to_excel(src, index=False)
    out = tmp_path / "x.parquet"
    pseudonymise_file(src, out, columns=["CPR"], key_file=key_file)
    assert pd.read_parquet(out)["CPR"].tolist() == pseudonymise_values(
        ["0101901234", "2512851234"], key=KEY)


def test_file_with_invalid_numbers_writes_nothing_by_default(tmp_path, key_file):
    src = tmp_path / "e.csv"
    pd.DataFrame({"CPR": ["0101901234", "9999991234"]}).to_csv(src, index=False)
    out = tmp_path / "p.csv"
    with pytest.raises(DataError, match=r"CPR: 1"):
        pseudonymise_file(src, out, columns=["CPR"], key_file=key_file)
    assert not out.exists()
    report = pseudonymise_file(src, out, columns=["CPR"], key_file=key_file, on_invalid="null")
    assert report.invalid == (1,)
    assert "9999991234" not in out.read_text()


def test_missing_column_is_named(tmp_path, key_file):
    src = delivered(tmp_path, ".csv")
    with pytest.raises(UserError, match=r"no columns \['PNR'\]"):
        pseudonymise_file(src, tmp_path / "o.csv", columns=["PNR"], key_file=key_file)
