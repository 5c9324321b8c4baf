"""Study files, the runner and releases."""

from cohort.study.runner import RunResult, run_study
from cohort.study.spec import StudySpec, Units, load_study, parse_study

__all__ = ["RunResult", "StudySpec", "Units", "load_study", "parse_study", "run_study"]
