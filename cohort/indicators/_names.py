"""The indicators' display names, in the report's languages.

One place for what a reader calls each indicator: the strategy's own words where
its indicator table has them ("Voksne på offentlig forsørgelse"), the goals'
words for the two indicators the goals add (``not_in_education_or_work``: goal 2,
"i uddannelse og beskæftigelse"; ``youth_convictions``: goal 4, "fri for
bandekriminalitet"), and goal 3's four indicators read from the moves. The
released tables keep the codes; the report and its figures show these names.
Nothing here changes how an indicator is computed.
"""

from __future__ import annotations

__all__ = ["INDICATOR_NAMES"]

#: Display names by language and indicator code.
INDICATOR_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "youth_public_support": "Young people on public support",
        "youth_education_15m": "Young people in youth education 15 months after 9th grade",
        "adult_public_support": "Adults on public support",
        "school_absence": "School absence",
        "exam_grades": "Exam grades: average of 4 or more in Danish and maths",
        "placements": "Children and young people placed outside the home",
        "not_in_education_or_work": "Young people neither in education nor in work",
        "youth_convictions": "Young people convicted of a crime",
        "resource_strong_share": "Resource-strong adults among the adult residents",
        "resource_strong_in_moves": "Resource-strong among the adult in-movers",
        "resource_strong_out_moves": "Resource-strong among the adult out-movers",
        "resource_strong_retention": "Resource-strong in-movers who stay",
    },
    "da": {
        "youth_public_support": "Unge på offentlig forsørgelse",
        "youth_education_15m": "Unge i gang med en ungdomsuddannelse 15 mdr. efter 9. klasse",
        "adult_public_support": "Voksne på offentlig forsørgelse",
        "school_absence": "Skolefravær",
        "exam_grades": "Afgangskarakter: gennemsnit på 4 eller derover i dansk og matematik",
        "placements": "Anbringelser af børn og unge",
        "not_in_education_or_work": "Unge, der hverken er i uddannelse eller beskæftigelse",
        "youth_convictions": "Unge dømt for kriminalitet",
        "resource_strong_share": "Ressourcestærke voksne blandt de voksne beboere",
        "resource_strong_in_moves": "Ressourcestærke blandt de voksne tilflyttere",
        "resource_strong_out_moves": "Ressourcestærke blandt de voksne fraflyttere",
        "resource_strong_retention": "Ressourcestærke tilflyttere, der bliver boende",
    },
}
