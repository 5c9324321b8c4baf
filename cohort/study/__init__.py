"""Study files, the runner and releases."""

from cohort.study.compare import ReleaseDiff, VerifyResult, diff_releases, verify_release
from cohort.study.runner import RunResult, run_study
from cohort.study.spec import StudySpec, Units, load_study, parse_study

__all__ = ["ReleaseDiff", "RunResult", "StudySpec", "Units", "VerifyResult", "diff_releases",
           "load_study", "parse_study", "run_study", "verify_release"]
