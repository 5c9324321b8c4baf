"""A study of another estate, municipality and intervention year: nothing of Bagsværd.

The bundled study's names, published values and intervention live in its study
file; a study file for Gellerup (Aarhus, 751, treated from 2015) without them
releases a report that names Gellerup and its own dates only.
"""

from __future__ import annotations

import re

from cohort.cli import main
from cohort.exceptions import EXIT_FINDINGS, EXIT_OK

FORBIDDEN = re.compile(r"(?i)værebro|vaerebro|gladsaxe|bagsværd|bagsvaerd|published|\b2016\b")


def _prose(html: str) -> str:
    """The report's words outside its tables (tables hold data, years among them)."""
    html = re.sub(r"(?s)<table.*?</table>", " ", html)
    html = re.sub(r"(?s)<script.*?</script>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_another_estate_has_no_word_of_bagsvaerd(small_extract, tmp_path, capsys):
    study = tmp_path / "gellerup.toml"
    study.write_text("""
[study]
name = "Gellerup"
seed = 1
[units]
target = "gellerup"
municipality = 751
comparison = ["tingbjerg", "vollsmose"]
[units.names]
gellerup = "Gellerup"
[intervention]
name = "the Gellerup plan"
start = 2015-01-01
[analyses.indicators]
years = [2012, 2018]
table_year = 2017
[analyses.did]
exam_years = [2009, 2017]
""")
    out = tmp_path / "release"
    code = main(["run", str(study), "--extract", str(small_extract), "--out", str(out)])
    said = capsys.readouterr()
    assert code in (EXIT_OK, EXIT_FINDINGS), said.err
    assert not FORBIDDEN.search(said.out + said.err)
    report = (out / "report.html").read_text()
    prose = _prose(report)
    assert not FORBIDDEN.search(prose), FORBIDDEN.search(prose)
    assert "Effect of the Gellerup plan" in prose
    assert "Gellerup" in prose and "Aarhus Kommune" in prose
    # the DiD dates follow the intervention: first treated exam year 2015
    if (out / "did_event_study.csv").exists():
        assert "treated from exam year 2015" in prose
