"""The report's words in its languages: one catalog, looked up by key.

``text(key, language, **fmt)`` gives the text of ``key`` in ``language``
(``"en"`` or ``"da"``, the study file's ``[report] language``), formatted with
``fmt``. Every heading, caption, sentence and table header of the report, and the
titles and labels of its figures, are here in both languages (a test checks that
each key has both and the same placeholders). In Danish the words are the
strategy's own: målsætninger, indikatorer, boligområde, bydel,
tilflyttere/fraflyttere, ressourcestærke beboere.

Only the report and the figures speak the language: the released tables keep
their codes and their numbers as they are, so a release's CSV files are the same
bytes in every language. :func:`number`, :func:`integer` and :func:`percent`
write numbers for a reader (Danish: decimal comma, thousands separator ``.``).

:func:`localize_figure` puts a figure drawn by a library function into the
language: the texts the library draws itself (``"Moving in"``, the risk table's
row names) are catalog entries under ``fig.``, and a Danish figure gets their
Danish text. A figure is redrawn in a language by drawing it with the same
function and calling :func:`localize_figure` on it.

This module imports nothing of the package at import time.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from typing import Any

__all__ = ["CATALOG", "LANGUAGES", "indicator_name", "integer", "localize_figure", "number",
           "percent", "text", "unit_label", "value_label"]

LANGUAGES = ("en", "da")

_EN: dict[str, str] = {
    # -- the page ---------------------------------------------------------------------
    "report.meta": ("cohort {version} · extract {extract} (registers to {end}) · seed {seed} "
                    "· disclosure threshold {threshold}"),
    "report.meta_disabled": "disclosure control DISABLED",
    "report.units": "Target area {target} in {municipality}{district}; comparison areas: "
                    "{comparison}.",
    "report.district": ", district {district}",
    "report.none": "none",
    "report.contents": "Contents",
    "report.data": "The data and disclosure control",
    "report.note": "Note:",
    "report.validation": ("Validation status: {status}. Rows that broke a rule of the data "
                          "contract were set aside in quarantine on the server; the table "
                          "{validation} in this release counts them per table."),
    "report.suppression": ("Counts of 1 to {below} persons are suppressed (shown as ·), with "
                           "secondary suppression where a suppressed cell could be recovered "
                           "from totals; shares are suppressed with their counts; figures are "
                           "drawn from the released tables. manifest.json records the inputs' "
                           "hashes, the versions, the settings and what was suppressed."),
    "report.whole": ("The release is checked as one system of the numbers it shows: a "
                     "suppressed cell must stay protected against every table, margin, share "
                     "and model output of the release together. Relations between tables "
                     "checked: {relations}. Further cells suppressed for them: {further}. Rows "
                     "of model output withheld because they are exact functions of a "
                     "suppressed cell (shown blank): {withheld}. Rows of curves cut where "
                     "their risk table hides a cell: {cut}. See docs/disclosure.md."),
    "report.table": "Table",
    "report.table_named": "Table {name} ({rows} rows; {name}.csv)",
    "report.too_long": "{rows} rows, too many to show here: all in {csv}.",
    "report.the_csv": "the CSV",
    "report.first_rows": "The first {n} rows",
    "report.yes": "yes",
    "report.status.valid": "valid",
    "report.status.quarantined": "quarantined",
    "report.status.stopped": "stopped",
    "report.no": "no",
    # -- table headers: in English the CSV's own column names ---------------------------
    **{f"col.{c}": c for c in (
        "area", "at_risk", "baseline_denominator", "baseline_numerator", "baseline_share",
        "baseline_year", "births", "censored", "change", "children", "comparison", "competing",
        "conf_high", "conf_low", "criteria_met", "criterion", "cutoff", "deaths",
        "denominator", "destination", "dose_years", "enrolled", "estimate", "events",
        "exam_year", "excluded", "exit", "exposed", "goal", "group", "in_moves", "indicator",
        "lb", "list_year", "mbar", "met", "missing", "months", "moves", "municipality", "n",
        "neither", "net", "numerator", "origin", "out_moves", "p_value", "period",
        "population", "reference", "reference_source", "residents", "rows_accepted",
        "rows_quarantined", "rows_read", "share", "statistic", "std_error", "table", "term",
        "threshold", "time", "ub", "unit", "value", "vulnerable", "year",
        # DiD: what the areas allow, phases and references
        "comparison_areas", "event_exam_year", "exam_years", "interval", "interval_level",
        "note", "phase_event_time", "phase_exam_year", "phase_start", "pre_exam_years",
        "pre_years", "smallest_p_value", "start_exam_year",
        # the checklist
        "mde", "p_adjusted", "role", "what",
        # matched comparison children
        "covariate", "level", "mean_comparison", "mean_exposed", "sample", "smd", "status")},
    # -- values of the tables' category columns, as the report shows them ---------------
    "value.resource_strong": "resource-strong",
    "value.not_resource_strong": "not resource-strong",
    "value.not_adult": "not adult",
    "value.all": "all",
    "value.same_municipality": "same municipality",
    "value.other_municipality": "other municipality",
    "value.abroad": "abroad",
    "value.exposed": "exposed",
    "value.comparison": "comparison",
    "value.event": "event",
    "value.emigration": "emigration",
    "value.death": "death",
    "value.extract_end": "end of the data",
    "value.max_follow_up": "maximum follow-up",
    "value.yes": "yes",
    "value.no": "no",
    "value.none": "none",
    "value.extract": "extract",
    "value.parameter": "parameter",
    "value.outside_work_education": "outside work and education",
    "value.convictions": "convictions",
    "value.basic_education_only": "basic education only",
    "value.low_income": "low income",
    "value.criteria_met": "{k} of {n}",
    "value.in_moves": "in-moves",
    "value.out_moves": "out-moves",
    "value.status_change": "status change",
    "value.ageing_in": "ageing in",
    "value.ageing_out": "ageing out",
    "value.births": "births",
    "value.deaths": "deaths",
    "value.change": "change",
    # -- units the study does not name ---------------------------------------------------
    "unit.rest_of_municipality": "rest of municipality",
    "unit.rest_of_region": "rest of region",
    "unit.rest_of_country": "rest of country",
    "unit.abroad": "abroad",
    "unit.birth": "birth",
    "unit.death": "death",
    "unit.comparison": "Comparison areas (pooled)",
    "unit.without": "{unit} without {part}",
    # -- the strategy's goals (definitions §7) ------------------------------------------
    "goal.1": "All children and young people in the area have good prospects",
    "goal.2": "All residents under 30 are in education or employment",
    "goal.3": "The area attracts and keeps resource-strong residents",
    "goal.4": "The area is free of gang crime",
    "goal.heading": "Goal {n}: {goal}",
    "goal.goals": "goals",
    "goal.indicators": "indicators",
    "goal.baseline": "baseline",
    "goals.title": "The strategy's four goals",
    "goals.description": ("The four goals and their effect indicators (definitions §7) for "
                          "{units}, year by year, with the baseline year {baseline} marked "
                          "and the change since it."),
    "goals.the_comparison": "the comparison areas",
    "goals.table": "The four goals: indicators by unit and year",
    "goals.caption": ("The goal dashboard: per goal, its indicators for the target, the "
                      "district, the municipality and the comparison areas pooled, year by "
                      "year, with the baseline year {baseline} marked. The table has one row "
                      "per goal, indicator, unit and year; baseline_share is the share in the "
                      "baseline year and change the difference from it (0.01 = one "
                      "percentage point); 'comparison' pools the comparison areas; net is "
                      "resource-strong in-moves minus out-moves."),
    "goals.no_values": "no released values",
    "checklist.title": "A referee's checklist",
    "checklist.description": ("Every effect estimate of this release with a p-value, and what "
                              "it is to the study: the primary outcome declared for each goal "
                              "(with its minimum detectable effect at level {alpha} and power "
                              "{power}), negative controls, and the secondary estimates, whose "
                              "p-values are adjusted together ({method})."),
    "checklist.method.holm": "Holm's step-down method",
    "checklist.method.bh": "Benjamini-Hochberg's false discovery rate",
    "checklist.table": "Primary, negative-control and secondary estimates",
    "checklist.caption": ("role: primary (declared in the study file), negative_control or "
                          "secondary; p_adjusted: the secondary p-values adjusted for "
                          "multiplicity; mde: the minimum detectable effect of a primary "
                          "estimate, (z(1 - alpha/2) + z(power)) x std_error. A value the "
                          "source table withheld stays blank."),
    "checklist.primary_missing": ("The primary outcome of goal {goal} ({table}, {term}) is not "
                                  "in this release or was withheld: the goal has no primary "
                                  "test here."),
    "checklist.no_primary": ("Goal {goal} has no declared primary outcome "
                             "([analyses.checklist] primary): every estimate of it is "
                             "secondary."),
    # -- figures: notes under every figure ----------------------------------------------
    "fig.source": "Source: {study}",
    "fig.source_extract": ", register extract {extract}",
    "fig.source_end": " (data to {end})",
    "fig.source_version": "; cohort {version}",
    "fig.disclosure": ("Counts below {threshold}, and cells that would reveal them, are "
                       "suppressed; suppressed cells (·) are not drawn."),
    "fig.disclosure_base": " Counts are rounded to multiples of {base}.",
    "fig.disclosure_midpoint": " Counts are midpoint-rounded (base {base}).",
    "fig.disclosure_off": "Disclosure control was disabled for this release (see manifest.json).",
    # -- figures: texts the library functions draw themselves ---------------------------
    "fig.share_percent": "Share (%)",
    "fig.axis_support": "Year (status on 1 January)",
    "fig.axis_calendar": "Calendar year",
    "fig.axis_november": "Year (status at the end of November)",
    "fig.axis_school": "School year ending in",
    "fig.indicators_title": "Indicators of social balance: {units}",
    "fig.and": " and ",
    "fig.moving_in": "Moving in",
    "fig.moving_out": "Moving out",
    "fig.year": "year",
    "fig.per_1000": "moves per 1,000 of the group on 1 January",
    "fig.resource_strong": "resource strong",
    "fig.not_resource_strong": "not resource strong",
    "fig.not_adult": "not adult",
    "fig.origins": "origins of in-moves",
    "fig.destinations": "destinations of out-moves",
    "fig.od_suppressed": "moves: · suppressed, not drawn",
    "fig.od_period": "Moves {period}",
    "fig.percentage_points": "percentage points",
    "fig.in_moves": "in moves",
    "fig.out_moves": "out moves",
    "fig.status_change": "status change",
    "fig.ageing_in": "ageing in",
    "fig.ageing_out": "ageing out",
    "fig.births": "births",
    "fig.deaths": "deaths",
    "fig.change": "change",
    "fig.risk_title": "Number at risk; events and censored (cumulative)",
    "fig.at_risk": "at risk",
    "fig.events": "events",
    "fig.competing": "competing events",
    "fig.censored": "censored",
    "fig.curve_suppressed": "{label}: curve suppressed",
    "fig.reference_period": "reference period",
    "fig.band": "simultaneous band (c = {c})",
    "fig.original": "Original",
    "fig.confidence_interval": "confidence interval",
    "fig.identified_set": "identified set",
    # -- indicators --------------------------------------------------------------------
    "indicators.title": "Indicators of social balance",
    "indicators.description": ("The six indicators of social balance (definitions §1) for "
                               "{target} next to {municipality}, year by year{marked}."),
    "indicators.marked": ", with the values the study names from its sources marked",
    "indicators.series.title": "Indicators of social balance, year by year",
    "indicators.series.caption": ("Share of the population in each indicator's numerator; "
                                  "suppressed cells are not drawn."),
    "indicators.series.published": (" Open markers: the values the study names as "
                                     "published, with their source."),
    "indicators.table.title": "The indicator table: the area next to its municipality",
    "indicators.table.caption": ("One row per indicator and unit for the table year: support "
                                 "on 1 January of that year, the school indicators of the "
                                 "school year before."),
    "indicator.youth_public_support": "Aged {lo}-{hi} on public support (1 January)",
    "indicator.youth_education_15m": "In youth education {months} months after 9th grade",
    "indicator.adult_public_support": "Aged {lo}-{hi} on public support (1 January)",
    "indicator.school_absence": "Pupils with {days}+ days' unauthorised absence",
    "indicator.exam_grades": "9th-grade average of {grade}+ in Danish and maths",
    "indicator.placements": "Aged {lo}-{hi} placed outside the home",
    "indicator.not_in_education_or_work": ("Aged {lo}-{hi} neither in education nor in work "
                                           "({day} {month})"),
    "indicator.youth_convictions": "Aged {lo}-{hi} convicted during the year",
    "month.11": "November",
    # -- vulnerable housing areas ------------------------------------------------------
    "vulnerable.title": "Criteria for a vulnerable housing area",
    "vulnerable.description": ("The four criteria of almenboligloven § 61 a (definitions §2) "
                               "for the estate and the comparison estates, per list year, "
                               "with the national and regional references."),
    "vulnerable.status.title": ("Vulnerable housing area: residents, criteria met and "
                                "classification"),
    "vulnerable.status.caption": ("An area is vulnerable with at least 1,000 residents on 31 "
                                  "December of the year before the list year and at least two "
                                  "of the four criteria met."),
    "vulnerable.criteria.title": "Criteria based on shares of residents",
    "vulnerable.criteria.caption": ("value: the area's share; reference: the national share "
                                    "(convictions); cutoff: the value above which the "
                                    "criterion is met."),
    "vulnerable.income.title": "Low-income criterion: mean gross income against the region",
    "vulnerable.income.caption": ("value: the area's mean gross income (DKK) of "
                                  "15-64-year-olds not in education; reference: the region's "
                                  "mean; met when value < cutoff."),
    # -- flows -------------------------------------------------------------------------
    "flows.title": "Moving flows of resource-strong residents",
    "flows.description": (
        "Moves into and out of the estate per calendar year (definitions §4): the population "
        "on 1 January, in- and out-moves by resource status at the move (aged 25-64, employed "
        "or self-employed in the labour year before the move's year, at least a youth "
        "education, all on the date of the move) and by origin or destination, births and "
        "deaths in their own columns; the origin-destination matrix between the estate, the "
        "rest of the municipality, the comparison estates, the rest of the region and "
        "country, and abroad; and retention: how long in-movers stay, by resource status at "
        "the in-move and by in-move period (Kaplan-Meier; in-movers from before the first "
        "year enter late); and the year-to-year change in the share of resource-strong "
        "adults split exactly into in-moves and out-moves (status at the move), status "
        "changes in the estate, ageing, births and deaths."),
    "flows.status.title": "Population, births, deaths and moves by resource status",
    "flows.status.caption": ("Moves per 1,000 residents of each group on 1 January; resource "
                             "status at the move. Suppressed cells are not drawn."),
    "flows.origin.title": "In-moves by origin and out-moves by destination",
    "flows.od.title": "Origin-destination matrix of moves",
    "flows.od.caption": ("Moves into and out of the estate between the study's units: origins "
                         "of in-moves on the left, destinations of out-moves on the right, band "
                         "widths proportional to moves; suppressed cells are not drawn."),
    "flows.cox.title": "Retention: hazard ratio of moving out (Cox)",
    "flows.cox.caption": ("Hazard ratio of moving out of the estate, resource-strong against "
                          "not resource-strong adults at the in-move (Cox; episodes of one "
                          "person clustered)."),
    "flows.retention_not.title": "Retention: not resource-strong",
    "flows.retention_strong.title": "Retention: resource-strong",
    "flows.retention.caption": ("Share of in-movers still living in the estate by years since "
                                "they moved in, by resource status at the in-move "
                                "(Kaplan-Meier; censored at death and the end of the data; "
                                "in-movers from before the first year enter at their "
                                "duration on its 1 January)."),
    "flows.retention_period.title": "Retention: in-moves {period}",
    "flows.retention_period.caption": ("Share of the period's in-movers still living in the "
                                       "estate by years since they moved in (Kaplan-Meier; "
                                       "every resource status)."),
    "flows.decomposition.title": ("Change in the share of resource-strong adults, and where "
                                  "it came from"),
    "flows.decomposition.caption": (
        "The change from 1 January to 1 January of the next year in the estate's share of "
        "resource-strong adults (25-64), in percentage points (term 'change'), split exactly "
        "into the parts that add up to it. A part that would give away fewer persons than "
        "the threshold, or with the other parts and tables a part that does, is blanked."),
    "flows.fig.decomposition": "Change in the share of resource-strong adults",
    "flows.fig.strong": "resource strong",
    "flows.fig.not_strong": "not resource strong",
    "flows.fig.retention_x": "years since moving in",
    "flows.fig.retention_y": "still living in the estate (%)",
    "flows.fig.retention_title": "Retention of in-movers by resource status at the in-move",
    # -- survival ----------------------------------------------------------------------
    "survival.title": "Time to youth education after 9th grade",
    "survival.description": (
        "Children of the birth cohorts who grew up in the estate (exposed) against children "
        "living elsewhere in the municipality on the same birthday (comparison), followed from "
        "the end of 9th grade (30 June of the exams year) to the first start of a youth "
        "education; emigration and death are competing events (after them a child can no "
        "longer start here), the end of the data and the maximum follow-up censor. The group "
        "is known at the start of follow-up (no immortal time). Aalen-Johansen cumulative "
        "incidence curves with a risk table, and a Cox model of the cause-specific hazard "
        "(Efron ties) stratified by birth year and adjusted for sex, origin, the mother's "
        "education and parents' employment at age 14, with standard errors clustered on the "
        "mother (siblings are not independent), its proportional-hazards test, and the hazard "
        "ratio before and after the intervention's start."),
    "survival.flow.title": "Flow of exclusions",
    "survival.flow.caption": "From everyone in the extract to the analysed cohort.",
    "survival.flow_groups.title": "Flow of exclusions by group",
    "survival.exits.title": "How follow-up ended, per group",
    "survival.risk.title": "Risk table",
    "survival.risk.caption": ("Numbers at risk (still followed at the time), and events, "
                              "competing events (emigration, death) and censorings before "
                              "it, per group; at every time they add up to the group."),
    "survival.cif_comparison.title": "Cumulative incidence (Aalen-Johansen): comparison group",
    "survival.cif_exposed.title": "Cumulative incidence (Aalen-Johansen): grew up in the estate",
    "survival.cif_exposed.caption": (
        "Share started in youth education by months since the end of 9th grade: the "
        "Aalen-Johansen cumulative incidence with emigration and death as competing events "
        "(not 1 - Kaplan-Meier, which would count those children as if they could still "
        "start), with 95 % confidence bands; steps are shown only where at least the "
        "threshold had the event, and not past a time at which the risk table hides a cell."),
    "survival.zph.title": "Proportional-hazards test of the Cox model",
    "survival.zph.caption": ("Score test of each term's log hazard ratio changing with time "
                             "(g(t) = 1 - Kaplan-Meier, as R's cox.zph), and of all terms "
                             "together (GLOBAL); a small p says the hazard ratio is not "
                             "constant over follow-up."),
    "survival.cox_period.title": "Hazard ratio before and after the intervention's start",
    "survival.cox_period.caption": ("The Cox model fitted separately to the children who "
                                    "finished 9th grade before the start ({start}) and on or "
                                    "after it; estimate: the log hazard ratio of exposed."),
    "survival.cox.title": "Cox model: hazard ratios",
    "survival.cox.caption": ("estimate: log hazard ratio; exposed compares children who grew "
                             "up in the estate with the comparison group. Standard errors "
                             "clustered on the mother."),
    "matching.title": "Matched comparison children: children matched and unmatched",
    "matching.caption": (
        "Each exposed child is matched to up to {k} comparison children (method = {method}, "
        "on {on}, replace = {replace}; the study's seed draws among equal candidates). "
        "eligible = matched + unmatched; a comparison child is matched when it is in at least "
        "one match group."),
    "matching_balance.title": "Balance before and after matching",
    "matching_balance.caption": (
        "estimate: the standardized mean difference (exposed minus comparison) per covariate "
        "level, before matching (all analysed children) and after (matched children, each "
        "match group weighing as one on either side), both over the pooled standard "
        "deviation before matching; |SMD| < 0.1 is the usual mark of balance. A row resting "
        "on few children is withheld."),
    "survival.cox_matched.title": "Cox model on the matched cohort: hazard ratio",
    "survival.cox_matched.caption": (
        "estimate: log hazard ratio of the exposed children against their matched comparison "
        "children, stratified by match group (each exposed child with its controls shares a "
        "baseline hazard); standard errors clustered on the mother."),
    "survival.fig.exposed": "grew up in the estate",
    "survival.fig.comparison": "comparison",
    "survival.fig.x": "months since the end of 9th grade",
    "survival.fig.y": "started youth education (%)",
    "survival.fig.title": "Time to youth education: estate against comparison",
    # -- difference in differences -------------------------------------------------------
    "did.title": "Effect of the intervention on youth education",
    "did.heading": "Effect of {intervention} on youth education",
    "did.intervention": "the intervention",
    "did.description": (
        "Share of children enrolled in youth education 15 months after 9th grade, by the "
        "area they lived in {k} years before their exam (intention to treat). {target} is "
        "treated from exam year {g}, the comparison areas are not. Two-way fixed "
        "effects (area and exam year) on the children, an event study by exam year, and "
        "inference that is honest with one treated area: standard errors from the area x "
        "exam-year cells (the children of a cell share its shocks), randomization inference "
        "over the comparison areas as placebos and Conley-Taber intervals. Cluster-robust "
        "standard errors by area assume many treated areas and are not reported."),
    "did.descriptive": (
        " With {j} comparison areas randomization inference and Conley-Taber are "
        "descriptive: no p-value can fall below {p}, and no 95 % interval exists (at least 19 "
        "comparison areas are needed). The 95 % intervals of this section are those from the "
        "area x exam-year cells, which assume area-year shocks independent over years and "
        "equally variable in every area."),
    "did.inferential": (
        " With {j} comparison areas randomization inference and Conley-Taber can reject at "
        "5 % (smallest attainable p-value {p}); their intervals cover with probability "
        "{level} when the areas are exchangeable."),
    "did.phases": (
        " Exam years {years} lie in an earlier phase of the intervention ({how})."),
    "did.phases.mark": "kept in the pre-period, marked, and tested as placebo start dates",
    "did.phases.exclude": "left out of every estimate",
    "did.panel.title": "Enrolled 15 months after 9th grade, by baseline estate",
    "did.panel.caption": ("Children by the estate they lived in three years before their exam "
                          "(intention to treat); the vertical line marks the first treated "
                          "exam year."),
    "did.twfe.title": "Two-way fixed effects estimate (children)",
    "did.twfe.caption": ("Effect on the probability of being enrolled (share scale), the "
                         "treated exam years against the mean of the pre-period exam years "
                         "(pre_exam_years). Standard error and 95 % interval from the area x "
                         "exam-year cells: the children of a cell share its shocks, which a "
                         "child-level standard error ignores; the cells' shocks are assumed "
                         "independent and equally variable in every estate (t distribution "
                         "with the cells' degrees of freedom)."),
    "did.twfe_matched.title": "Two-way fixed effects estimate on matched children",
    "did.twfe_matched.caption": (
        "As the two-way fixed effects estimate, on the estate's children matched at the "
        "baseline date and their matched comparison children (each matched child once; "
        "see the matching tables): the estate's children against comparison children of "
        "the same exam year and characteristics. Unmatched children of the estate are left "
        "out, so the estimate is about the matched ones."),
    "did.one_treated.title": "Inference with one treated estate",
    "did.one_treated.caption": ("Randomization inference: the estate's estimate against the "
                                "placebo estimates of the comparison estates (exact p-value); "
                                "Conley-Taber: the comparison estates' placebo estimates as "
                                "the distribution of the estate's error, the observed "
                                "assignment counted among them (the p-value is never 0), and "
                                "size-corrected for estates of unequal size (Ferman & Pinto). "
                                "With J comparison estates no p-value can fall below "
                                "1/(J+1) (smallest_p_value): with fewer than 19 a 95 % "
                                "interval does not exist, the interval is the whole line and "
                                "the row says 'descriptive'; interval_level is the coverage "
                                "the interval attains when one exists."),
    "did.honest.title": "Sensitivity to violations of parallel trends (Honest DiD)",
    "did.honest.caption": (
        "The average effect over the treated exam years when the post-intervention trend may "
        "differ from the comparison estates' by up to M times the largest change between "
        "consecutive pre-intervention years (Rambachan & Roth's relative magnitudes): lb-ub "
        "the identified set, conf_low-conf_high its 95 % confidence interval (conditional-"
        "least-favourable hybrid); mbar 'none' is the usual interval, assuming parallel "
        "trends exactly. Relative to the last exam year before the intervention alone "
        "(reference_exam_year), not to the mean of the pre-period as the two-way fixed "
        "effects estimate: the two differ when the pre-period years differ."),
    "did.dose.title": "Dose-response: effect by years in the estate after the start",
    "did.dose.caption": (
        "The estate's children by the years of childhood they would live in the estate after "
        "the intervention began, up to the end of 9th grade, if they stayed (intention to "
        "treat: by the baseline address). The dose is one value per exam year, so each dose "
        "bin's effect is the effect in its exam years (exam_years) against the pre-period "
        "mean, an event-time effect that cannot be told apart from calendar time; "
        "slope_per_year is the change of the effect per year of dose with a jump at the start "
        "allowed (never a line forced through zero). Area and exam-year fixed effects; "
        "standard errors from the area x exam-year cells."),
    "did.youth.title": ("Youth public support (18-29 years, 1 January), estate against "
                        "comparison"),
    "did.youth.caption": (
        "Share of 18-29-year-olds living in the area on 1 January who are on public support, "
        "by area and year (a repeated cross-section of residents, so it also moves with who "
        "moves in and out). Two-way fixed effects on the area-year shares (classical standard "
        "error on the cells), randomization inference over the comparison estates as "
        "placebos and Conley-Taber, with what each can deliver with the comparison estates "
        "at hand (see the inference with one treated estate)."),
    "did.event.title": "Event study by exam year",
    "did.event.caption": (
        "Coefficients relative to the last exam year before the intervention, with pointwise "
        "95 % confidence intervals and a simultaneous (sup-t) 95 % band over all exam years "
        "(from the area x exam-year cells; its critical value is the row sup_t_critical); "
        "the pre-period coefficients test parallel trends. phase_exam_year is the first exam "
        "year of the intervention's phase in force in the row's exam year and "
        "phase_event_time the exam years since; exam years of a phase that began before the "
        "first treated exam year are marked, not clean pre-period years. Dashed lines mark "
        "the phases."),
    "did.placebo.title": "Placebo start dates before the intervention",
    "did.placebo.caption": (
        "The two-way fixed effects estimate on the exam years before the intervention, as if "
        "it had begun in an earlier exam year (start_exam_year); area x exam-year standard "
        "errors. Away from a phase of the intervention a placebo should be near 0; where a "
        "phase began (phase_start) it estimates that phase's own effect, or a pre-trend."),
    "did.fig.panel_x": "exam year (end of 9th grade)",
    "did.fig.panel_y": "enrolled 15 months later (%)",
    "did.fig.panel_title": "Youth education by baseline estate (intention to treat)",
    "did.fig.intervention": "intervention ({year})",
    "did.fig.later_phase": "later phase ({year})",
    "did.fig.earlier_phase": "earlier phase ({year})",
    "did.fig.before": "before the intervention",
    "did.fig.after": "after the intervention",
    "did.fig.event_x": "exam years since {year}",
    "did.fig.effect": "effect on the share enrolled",
    "did.fig.event_title": "Event study: estate against comparison estates",
    "did.fig.parallel": "parallel\ntrends",
    "did.fig.honest_x": "M (relative magnitudes)",
    "did.fig.honest_y": "average effect on the share enrolled",
    "did.fig.honest_title": "Honest DiD: relative magnitudes",
    "did.fig.dose_x": "years in the estate after the start, by the end of 9th grade",
    "did.fig.dose_title": "Dose-response of the intervention (from {year})",
}

_DA: dict[str, str] = {
    # -- the page ---------------------------------------------------------------------
    "report.meta": ("cohort {version} · registerudtræk {extract} (registre til {end}) · seed "
                    "{seed} · diskretioneringsgrænse {threshold}"),
    "report.meta_disabled": "diskretionering SLÅET FRA",
    "report.units": "Boligområde {target} i {municipality}{district}; "
                    "sammenligningsområder: {comparison}.",
    "report.district": ", bydel {district}",
    "report.none": "ingen",
    "report.contents": "Indhold",
    "report.data": "Data og diskretionering",
    "report.note": "Bemærk:",
    "report.validation": ("Valideringsstatus: {status}. Rækker, der brød en regel i "
                          "datakontrakten, er lagt til side i karantæne på serveren; tabellen "
                          "{validation} i denne udgivelse tæller dem pr. tabel."),
    "report.suppression": ("Antal på 1 til {below} personer er diskretioneret (vist som ·), "
                           "med sekundær diskretionering, hvor en diskretioneret celle kunne "
                           "regnes tilbage fra totaler; andele diskretioneres med deres antal; "
                           "figurerne er tegnet ud fra de udgivne tabeller. manifest.json "
                           "registrerer inddataenes hashværdier, versionerne, indstillingerne "
                           "og hvad der er diskretioneret."),
    "report.whole": ("Udgivelsen kontrolleres som ét system af de tal, den viser: en "
                     "diskretioneret celle skal forblive beskyttet mod alle udgivelsens "
                     "tabeller, marginaler, andele og modelresultater tilsammen. Kontrollerede "
                     "sammenhænge mellem tabeller: {relations}. Yderligere celler "
                     "diskretioneret på grund af dem: {further}. Rækker af modelresultater "
                     "tilbageholdt, fordi de er eksakte funktioner af en diskretioneret celle "
                     "(vist tomme): {withheld}. Rækker af kurver afskåret, hvor deres "
                     "risikotabel skjuler en celle: {cut}. Se docs/disclosure.md."),
    "report.table": "Tabel",
    "report.table_named": "Tabel {name} ({rows} rækker; {name}.csv)",
    "report.too_long": "{rows} rækker, for mange til at vise her: alle i {csv}.",
    "report.the_csv": "CSV-filen",
    "report.first_rows": "De første {n} rækker",
    "report.yes": "ja",
    "report.status.valid": "gyldigt",
    "report.status.quarantined": "rækker i karantæne",
    "report.status.stopped": "standset",
    "report.no": "nej",
    # -- table headers ------------------------------------------------------------------
    "col.area": "område",
    "col.comparison_areas": "sammenligningsområder",
    "col.event_exam_year": "eksamensår",
    "col.exam_years": "eksamensår",
    "col.interval": "interval",
    "col.interval_level": "intervallets niveau",
    "col.note": "bemærkning",
    "col.phase_event_time": "tid siden fasens start",
    "col.phase_exam_year": "fasens første eksamensår",
    "col.phase_start": "fasestart",
    "col.pre_exam_years": "førperiodens eksamensår",
    "col.pre_years": "førperiodens år",
    "col.smallest_p_value": "mindste mulige p-værdi",
    "col.start_exam_year": "første behandlede eksamensår",
    "col.mde": "mindste påviselige effekt",
    "col.p_adjusted": "justeret p-værdi",
    "col.role": "rolle",
    "col.what": "hvad",
    "col.covariate": "kovariat",
    "col.level": "niveau",
    "col.mean_comparison": "gennemsnit, sammenligning",
    "col.mean_exposed": "gennemsnit, eksponerede",
    "col.sample": "stikprøve",
    "col.smd": "standardiseret forskel",
    "col.status": "status",
    "col.at_risk": "i risiko",
    "col.baseline_denominator": "nævner i nulpunktsåret",
    "col.baseline_numerator": "tæller i nulpunktsåret",
    "col.baseline_share": "andel i nulpunktsåret",
    "col.baseline_year": "nulpunktsår",
    "col.births": "fødsler",
    "col.censored": "censurerede",
    "col.change": "ændring",
    "col.children": "børn",
    "col.comparison": "sammenligningsgruppe",
    "col.competing": "konkurrerende hændelser",
    "col.conf_high": "øvre 95 %-grænse",
    "col.conf_low": "nedre 95 %-grænse",
    "col.criteria_met": "opfyldte kriterier",
    "col.criterion": "kriterium",
    "col.cutoff": "grænseværdi",
    "col.deaths": "dødsfald",
    "col.denominator": "nævner",
    "col.destination": "til",
    "col.dose_years": "dosis (år)",
    "col.enrolled": "i uddannelse",
    "col.estimate": "estimat",
    "col.events": "hændelser",
    "col.exam_year": "afgangsår",
    "col.excluded": "udelukket",
    "col.exit": "afslutning",
    "col.exposed": "opvokset i boligområdet",
    "col.goal": "målsætning",
    "col.group": "gruppe",
    "col.in_moves": "tilflytninger",
    "col.indicator": "indikator",
    "col.lb": "nedre grænse",
    "col.list_year": "listeår",
    "col.mbar": "M",
    "col.met": "opfyldt",
    "col.missing": "uoplyst",
    "col.months": "måneder",
    "col.moves": "flytninger",
    "col.municipality": "kommune",
    "col.n": "antal",
    "col.neither": "ingen af dem",
    "col.net": "netto",
    "col.numerator": "tæller",
    "col.origin": "fra",
    "col.out_moves": "fraflytninger",
    "col.p_value": "p-værdi",
    "col.period": "periode",
    "col.population": "befolkning",
    "col.reference": "reference",
    "col.reference_source": "referencens kilde",
    "col.residents": "beboere",
    "col.rows_accepted": "rækker godkendt",
    "col.rows_quarantined": "rækker i karantæne",
    "col.rows_read": "rækker læst",
    "col.share": "andel",
    "col.statistic": "teststørrelse",
    "col.std_error": "standardfejl",
    "col.table": "tabel",
    "col.term": "led",
    "col.threshold": "tærskel",
    "col.time": "tid",
    "col.ub": "øvre grænse",
    "col.unit": "enhed",
    "col.value": "værdi",
    "col.vulnerable": "udsat boligområde",
    "col.year": "år",
    # -- values -------------------------------------------------------------------------
    "value.resource_strong": "ressourcestærke",
    "value.not_resource_strong": "ikke ressourcestærke",
    "value.not_adult": "ikke voksne",
    "value.all": "alle",
    "value.same_municipality": "samme kommune",
    "value.other_municipality": "anden kommune",
    "value.abroad": "udlandet",
    "value.exposed": "opvokset i boligområdet",
    "value.comparison": "sammenligningsgruppe",
    "value.event": "hændelse",
    "value.emigration": "udvandret",
    "value.death": "død",
    "value.extract_end": "data slutter",
    "value.max_follow_up": "maksimal opfølgning",
    "value.yes": "ja",
    "value.no": "nej",
    "value.none": "ingen",
    "value.extract": "registerudtræk",
    "value.parameter": "parameter",
    "value.outside_work_education": "uden for arbejde og uddannelse",
    "value.convictions": "domme",
    "value.basic_education_only": "kun grundskoleuddannelse",
    "value.low_income": "lav indkomst",
    "value.criteria_met": "{k} af {n}",
    "value.in_moves": "tilflytninger",
    "value.out_moves": "fraflytninger",
    "value.status_change": "statusskift",
    "value.ageing_in": "ind i aldersgruppen",
    "value.ageing_out": "ud af aldersgruppen",
    "value.births": "fødsler",
    "value.deaths": "dødsfald",
    "value.change": "ændring",
    # -- units --------------------------------------------------------------------------
    "unit.rest_of_municipality": "resten af kommunen",
    "unit.rest_of_region": "resten af regionen",
    "unit.rest_of_country": "resten af landet",
    "unit.abroad": "udlandet",
    "unit.birth": "fødsel",
    "unit.death": "død",
    "unit.comparison": "Sammenligningsområder (samlet)",
    "unit.without": "{unit} uden {part}",
    # -- the strategy's målsætninger ------------------------------------------------------
    "goal.1": "Alle børn og unge i området har gode fremtidsmuligheder",
    "goal.2": "Alle beboere under 30 år er i uddannelse og beskæftigelse",
    "goal.3": "Området tiltrækker og fastholder ressourcestærke beboere",
    "goal.4": "Området er fri for bandekriminalitet",
    "goal.heading": "Målsætning {n}: {goal}",
    "goal.goals": "målsætninger",
    "goal.indicators": "indikatorer",
    "goal.baseline": "nulpunkt",
    "goals.title": "Strategiens fire målsætninger",
    "goals.description": ("De fire målsætninger og deres effektindikatorer for {units}, år for "
                          "år, med nulpunktet {baseline} markeret og ændringen siden da."),
    "goals.the_comparison": "sammenligningsområderne",
    "goals.table": "De fire målsætninger: indikatorer efter område og år",
    "goals.caption": ("Målsætningerne samlet: for hver målsætning dens indikatorer for "
                      "boligområdet, bydelen, kommunen og sammenligningsområderne samlet, år "
                      "for år, med nulpunktet {baseline} markeret. Tabellen har én række pr. "
                      "målsætning, indikator, område og år; baseline_share er andelen i "
                      "nulpunktet og change forskellen fra den (0,01 = ét procentpoint); "
                      "'comparison' er sammenligningsområderne samlet; net er "
                      "ressourcestærke tilflyttere minus fraflyttere."),
    "goals.no_values": "ingen offentliggjorte værdier",
    "checklist.title": "Tjekliste til en bedømmer",
    "checklist.description": ("Alle effektestimater i denne udgivelse med en p-værdi, og hvad "
                              "de er for undersøgelsen: det primære udfald for hver "
                              "målsætning (med den mindste påviselige effekt ved niveau "
                              "{alpha} og styrke {power}), negative kontroller og de "
                              "sekundære estimater, hvis p-værdier justeres samlet "
                              "({method})."),
    "checklist.method.holm": "Holms trinvise metode",
    "checklist.method.bh": "Benjamini-Hochbergs falske opdagelsesrate",
    "checklist.table": "Primære, negative kontrol- og sekundære estimater",
    "checklist.caption": ("role: primary (erklæret i undersøgelsesfilen), negative_control "
                          "eller secondary; p_adjusted: de sekundære p-værdier justeret for "
                          "multiplicitet; mde: den mindste påviselige effekt af et primært "
                          "estimat, (z(1 - alpha/2) + z(styrke)) x std_error. En værdi, som "
                          "kildetabellen tilbageholdt, forbliver tom."),
    "checklist.primary_missing": ("Det primære udfald for målsætning {goal} ({table}, {term}) "
                                  "er ikke i denne udgivelse eller blev tilbageholdt: "
                                  "målsætningen har ingen primær test her."),
    "checklist.no_primary": ("Målsætning {goal} har intet erklæret primært udfald "
                             "([analyses.checklist] primary): alle dens estimater er "
                             "sekundære."),
    # -- figures: notes -----------------------------------------------------------------
    "fig.source": "Kilde: {study}",
    "fig.source_extract": ", registerudtræk {extract}",
    "fig.source_end": " (data til {end})",
    "fig.source_version": "; cohort {version}",
    "fig.disclosure": ("Antal under {threshold} og celler, der ville afsløre dem, er "
                       "diskretioneret; diskretionerede celler (·) er ikke tegnet."),
    "fig.disclosure_base": " Antal er afrundet til multipla af {base}.",
    "fig.disclosure_midpoint": " Antal er afrundet til midtpunkter (base {base}).",
    "fig.disclosure_off": "Diskretionering var slået fra for denne udgivelse (se manifest.json).",
    # -- figures: the library's own texts ---------------------------------------------------
    "fig.share_percent": "Andel (%)",
    "fig.axis_support": "År (status pr. 1. januar)",
    "fig.axis_calendar": "Kalenderår",
    "fig.axis_november": "År (status ultimo november)",
    "fig.axis_school": "Skoleår, der slutter i",
    "fig.indicators_title": "Indikatorer for social balance: {units}",
    "fig.and": " og ",
    "fig.moving_in": "Tilflytninger",
    "fig.moving_out": "Fraflytninger",
    "fig.year": "år",
    "fig.per_1000": "flytninger pr. 1.000 i gruppen pr. 1. januar",
    "fig.resource_strong": "ressourcestærke",
    "fig.not_resource_strong": "ikke ressourcestærke",
    "fig.not_adult": "ikke voksne",
    "fig.origins": "tilflytternes herkomst",
    "fig.destinations": "fraflytternes destination",
    "fig.od_suppressed": "flytninger: · diskretioneret, ikke tegnet",
    "fig.od_period": "Flytninger {period}",
    "fig.percentage_points": "procentpoint",
    "fig.in_moves": "tilflytninger",
    "fig.out_moves": "fraflytninger",
    "fig.status_change": "statusskift",
    "fig.ageing_in": "ind i aldersgruppen",
    "fig.ageing_out": "ud af aldersgruppen",
    "fig.births": "fødsler",
    "fig.deaths": "dødsfald",
    "fig.change": "ændring",
    "fig.risk_title": "Antal i risiko; hændelser og censurerede (kumuleret)",
    "fig.at_risk": "i risiko",
    "fig.events": "hændelser",
    "fig.competing": "konkurrerende hændelser",
    "fig.censored": "censurerede",
    "fig.curve_suppressed": "{label}: kurven diskretioneret",
    "fig.reference_period": "referenceperiode",
    "fig.band": "simultant bånd (c = {c})",
    "fig.original": "Oprindeligt",
    "fig.confidence_interval": "konfidensinterval",
    "fig.identified_set": "identificeret mængde",
    # -- indikatorer ---------------------------------------------------------------------
    "indicators.title": "Indikatorer for social balance",
    "indicators.description": ("Strategiens seks effektindikatorer for social balance "
                               "(definitions §1), som målsætningerne måles med, for {target} "
                               "ved siden af {municipality}, år for år{marked}."),
    "indicators.marked": ", med de værdier, studiet angiver fra sine kilder, markeret",
    "indicators.series.title": "Indikatorer for social balance, år for år",
    "indicators.series.caption": ("Andel af befolkningen i hver indikators tæller; "
                                  "diskretionerede celler er ikke tegnet."),
    "indicators.series.published": (" Åbne markører: de værdier, studiet angiver som "
                                     "offentliggjorte, med deres kilde."),
    "indicators.table.title": "Indikatortabellen: boligområdet ved siden af kommunen",
    "indicators.table.caption": ("Én række pr. indikator og enhed for tabelåret: forsørgelse "
                                 "pr. 1. januar i året, skoleindikatorerne for skoleåret før."),
    "indicator.youth_public_support": "Unge ({lo}-{hi} år) på offentlig forsørgelse (1. januar)",
    "indicator.youth_education_15m": ("I gang med en ungdomsuddannelse {months} mdr. efter "
                                      "endt 9. klasse"),
    "indicator.adult_public_support": ("Voksne ({lo}-{hi} år) på offentlig forsørgelse "
                                       "(1. januar)"),
    "indicator.school_absence": "Skoleelever med {days} eller flere dages ulovligt fravær",
    "indicator.exam_grades": "Afgangskarakter: gennemsnit på {grade} eller derover i dansk og "
                             "matematik",
    "indicator.placements": "Anbragte {lo}-{hi}-årige",
    "indicator.not_in_education_or_work": ("{lo}-{hi}-årige hverken i uddannelse eller "
                                           "beskæftigelse ({day}. {month})"),
    "indicator.youth_convictions": "{lo}-{hi}-årige dømt i løbet af året",
    "month.11": "november",
    # -- udsatte boligområder ------------------------------------------------------------
    "vulnerable.title": "Kriterier for et udsat boligområde",
    "vulnerable.description": ("De fire kriterier i almenboligloven § 61 a (definitions §2) "
                               "for boligområdet og sammenligningsområderne, pr. listeår, med "
                               "de nationale og regionale referencer."),
    "vulnerable.status.title": "Udsat boligområde: beboere, opfyldte kriterier og status",
    "vulnerable.status.caption": ("Et område er udsat med mindst 1.000 beboere pr. 31. "
                                  "december året før listeåret og mindst to af de fire "
                                  "kriterier opfyldt."),
    "vulnerable.criteria.title": "Kriterier baseret på andele af beboerne",
    "vulnerable.criteria.caption": ("værdi: områdets andel; reference: landsandelen (domme); "
                                    "grænseværdi: den værdi, over hvilken kriteriet er "
                                    "opfyldt."),
    "vulnerable.income.title": ("Kriteriet om lav indkomst: gennemsnitlig bruttoindkomst mod "
                                "regionen"),
    "vulnerable.income.caption": ("værdi: områdets gennemsnitlige bruttoindkomst (kr.) for "
                                  "15-64-årige uden for uddannelse; reference: regionens "
                                  "gennemsnit; opfyldt, når værdi < grænseværdi."),
    # -- flytninger ----------------------------------------------------------------------
    "flows.title": "Flyttemønstre for ressourcestærke beboere",
    "flows.description": (
        "Flytninger ind i og ud af boligområdet pr. kalenderår (definitions §4): befolkningen "
        "pr. 1. januar, tilflyttere og fraflyttere efter ressourcestatus ved flytningen "
        "(25-64 år, i beskæftigelse eller selvstændig i arbejdsåret før flytningens år, "
        "mindst en ungdomsuddannelse, alt på flyttedagen) og efter hvorfra og hvortil, "
        "fødsler og dødsfald i egne kolonner; flyttematricen mellem boligområdet, resten af "
        "kommunen, sammenligningsområderne, resten af regionen og landet samt udlandet; "
        "fastholdelse: hvor længe tilflyttere bliver boende, efter ressourcestatus ved "
        "tilflytningen og efter tilflytningsperiode (Kaplan-Meier; tilflyttere fra før det "
        "første år indgår forsinket); og ændringen fra år til år i andelen af "
        "ressourcestærke voksne, delt eksakt op i tilflytninger og fraflytninger (status ved "
        "flytningen), statusskift i boligområdet, aldring, fødsler og dødsfald."),
    "flows.status.title": "Befolkning, fødsler, dødsfald og flytninger efter ressourcestatus",
    "flows.status.caption": ("Flytninger pr. 1.000 beboere i hver gruppe pr. 1. januar; "
                             "ressourcestatus ved flytningen. Diskretionerede celler er ikke "
                             "tegnet."),
    "flows.origin.title": "Tilflyttere efter hvorfra og fraflyttere efter hvortil",
    "flows.od.title": "Flyttematrix",
    "flows.od.caption": ("Flytninger ind i og ud af boligområdet mellem studiets enheder: "
                         "tilflytternes herkomst til venstre, fraflytternes destination til "
                         "højre, båndenes bredde proportional med antal flytninger; "
                         "diskretionerede celler er ikke tegnet."),
    "flows.cox.title": "Fastholdelse: hazard ratio for fraflytning (Cox)",
    "flows.cox.caption": ("Hazard ratio for at flytte ud af boligområdet, ressourcestærke mod "
                          "ikke ressourcestærke voksne ved tilflytningen (Cox; én persons "
                          "forløb klyngede)."),
    "flows.retention_not.title": "Fastholdelse: ikke ressourcestærke",
    "flows.retention_strong.title": "Fastholdelse: ressourcestærke",
    "flows.retention.caption": ("Andel af tilflytterne, der stadig bor i boligområdet, efter "
                                "år siden tilflytningen, efter ressourcestatus ved "
                                "tilflytningen (Kaplan-Meier; censureret ved død og ved "
                                "datas slutning; tilflyttere fra før det første år indgår "
                                "fra deres varighed pr. 1. januar det år)."),
    "flows.retention_period.title": "Fastholdelse: tilflytninger {period}",
    "flows.retention_period.caption": ("Andel af periodens tilflyttere, der stadig bor i "
                                       "boligområdet, efter år siden tilflytningen "
                                       "(Kaplan-Meier; alle ressourcestatusser)."),
    "flows.decomposition.title": ("Ændringen i andelen af ressourcestærke voksne, og hvor den "
                                  "kom fra"),
    "flows.decomposition.caption": (
        "Ændringen fra 1. januar til 1. januar året efter i boligområdets andel af "
        "ressourcestærke voksne (25-64 år), i procentpoint (leddet 'ændring'), delt eksakt op "
        "i de dele, der summerer til den. En del, der ville afsløre færre personer end "
        "tærsklen, eller som sammen med de andre dele og tabeller ville afsløre en sådan del, "
        "er blank."),
    "flows.fig.decomposition": "Ændringen i andelen af ressourcestærke voksne",
    "flows.fig.strong": "ressourcestærke",
    "flows.fig.not_strong": "ikke ressourcestærke",
    "flows.fig.retention_x": "år siden tilflytningen",
    "flows.fig.retention_y": "bor stadig i boligområdet (%)",
    "flows.fig.retention_title": "Fastholdelse af tilflyttere efter ressourcestatus ved "
                                 "tilflytningen",
    # -- forløb --------------------------------------------------------------------------
    "survival.title": "Tid til ungdomsuddannelse efter 9. klasse",
    "survival.description": (
        "Børn af fødselsårgangene, der voksede op i boligområdet (eksponerede), mod børn, der "
        "boede andre steder i kommunen på samme fødselsdag (sammenligningsgruppe), fulgt fra "
        "endt 9. klasse (30. juni i afgangsåret) til første start på en ungdomsuddannelse, "
        "med udvandring og død som konkurrerende hændelser (derefter kan barnet ikke "
        "længere starte her); datas slutning og den maksimale opfølgning censurerer. Gruppen "
        "er kendt, når opfølgningen begynder (ingen udødelig tid). Kumulerede "
        "incidenskurver (Aalen-Johansen) med risikotabel og en Cox-model for den "
        "årsagsspecifikke hazard (Efron ties) stratificeret på fødselsår og justeret for "
        "køn, herkomst, moderens uddannelse og forældrenes beskæftigelse ved 14 år, med "
        "standardfejl klynget på moderen (søskende er ikke uafhængige), dens test af "
        "proportionale hazards og hazard ratio før og efter indsatsens start."),
    "survival.flow.title": "Udelukkelser trin for trin",
    "survival.flow.caption": "Fra alle i registerudtrækket til den analyserede kohorte.",
    "survival.flow_groups.title": "Udelukkelser trin for trin, efter gruppe",
    "survival.exits.title": "Hvordan opfølgningen sluttede, pr. gruppe",
    "survival.risk.title": "Risikotabel",
    "survival.risk.caption": ("Antal i risiko (stadig fulgt på tidspunktet) og hændelser, "
                              "konkurrerende hændelser (udvandring, død) og censureringer "
                              "før det, pr. gruppe; på hvert tidspunkt summerer de til "
                              "gruppen."),
    "survival.cif_comparison.title": ("Kumuleret incidens (Aalen-Johansen): "
                                      "sammenligningsgruppen"),
    "survival.cif_exposed.title": "Kumuleret incidens (Aalen-Johansen): opvokset i boligområdet",
    "survival.cif_exposed.caption": (
        "Andel startet på en ungdomsuddannelse efter måneder siden endt 9. klasse: den "
        "kumulerede incidens (Aalen-Johansen) med udvandring og død som konkurrerende "
        "hændelser (ikke 1 - Kaplan-Meier, der ville regne de børn, som om de stadig kunne "
        "starte), med 95 %-konfidensbånd; trin vises kun, hvor mindst tærsklen fik "
        "hændelsen, og ikke efter et tidspunkt, hvor risikotabellen skjuler en celle."),
    "survival.zph.title": "Test af proportionale hazards i Cox-modellen",
    "survival.zph.caption": ("Scoretest af, om hvert leds log hazard ratio ændrer sig med "
                             "tiden (g(t) = 1 - Kaplan-Meier, som R's cox.zph), og af alle led "
                             "samlet (GLOBAL); en lille p siger, at hazard ratio ikke er "
                             "konstant over opfølgningen."),
    "survival.cox_period.title": "Hazard ratio før og efter indsatsens start",
    "survival.cox_period.caption": ("Cox-modellen tilpasset hver for sig til børnene, der "
                                    "afsluttede 9. klasse før starten ({start}) og på eller "
                                    "efter den; estimat: log hazard ratio for eksponerede."),
    "survival.cox.title": "Cox-model: hazard ratios",
    "survival.cox.caption": ("estimat: log hazard ratio; 'opvokset i boligområdet' "
                             "sammenligner børn, der voksede op i boligområdet, med "
                             "sammenligningsgruppen. Standardfejl klynget på moderen."),
    "matching.title": "Matchede sammenligningsbørn: børn matchet og ikke matchet",
    "matching.caption": (
        "Hvert eksponeret barn er matchet med op til {k} sammenligningsbørn (method = "
        "{method}, på {on}, replace = {replace}; studiets seed trækker blandt lige gode "
        "kandidater). eligible = matched + unmatched; et sammenligningsbarn er matchet, når "
        "det er i mindst én matchgruppe."),
    "matching_balance.title": "Balance før og efter matchning",
    "matching_balance.caption": (
        "estimat: den standardiserede middelværdiforskel (eksponerede minus sammenligning) "
        "pr. niveau af hver kovariat, før matchning (alle analyserede børn) og efter "
        "(matchede børn, hver matchgruppe vejer som én på hver side), begge over den samlede "
        "standardafvigelse før matchning; |SMD| < 0,1 er det sædvanlige mærke for balance. "
        "En række, der hviler på få børn, tilbageholdes."),
    "survival.cox_matched.title": "Cox-model på den matchede kohorte: hazard ratio",
    "survival.cox_matched.caption": (
        "estimat: log hazard ratio for de eksponerede børn mod deres matchede "
        "sammenligningsbørn, stratificeret efter matchgruppe (hvert eksponeret barn deler "
        "baseline-hazard med sine kontroller); standardfejl klynget på moderen."),
    "survival.fig.exposed": "opvokset i boligområdet",
    "survival.fig.comparison": "sammenligningsgruppe",
    "survival.fig.x": "måneder siden endt 9. klasse",
    "survival.fig.y": "startet på ungdomsuddannelse (%)",
    "survival.fig.title": "Tid til ungdomsuddannelse: boligområdet mod sammenligningsgruppen",
    # -- forskel i forskelle ----------------------------------------------------------------
    "did.title": "Indsatsens effekt på ungdomsuddannelse",
    "did.heading": "Effekten af {intervention} på ungdomsuddannelse",
    "did.intervention": "indsatsen",
    "did.description": (
        "Andel af børn i gang med en ungdomsuddannelse 15 måneder efter 9. klasse, efter det "
        "område, de boede i {k} år før afgangsprøven (intention to treat). {target} er "
        "behandlet fra afgangsåret {g}, sammenligningsområderne er ikke. Tosidede faste "
        "effekter (område og afgangsår) på børnene, et event study efter afgangsår og "
        "inferens, der holder med ét behandlet område: randomiseringsinferens med "
        "sammenligningsområderne som placebo og Conley-Taber-intervaller; standardfejl fra "
        "cellerne af område og afgangsår (børnene i en celle deler dens stød). Klyngerobuste "
        "standardfejl efter område forudsætter mange behandlede områder og vises ikke."),
    "did.descriptive": (
        " Med {j} sammenligningsområder er randomiseringsinferens og Conley-Taber "
        "beskrivende: ingen p-værdi kan blive mindre end {p}, og der findes intet 95 %-"
        "interval (det kræver mindst 19 sammenligningsområder). Afsnittets 95 %-intervaller "
        "er dem fra cellerne af område og afgangsår, som antager, at stødene i område og år "
        "er uafhængige over årene og lige store i alle områder."),
    "did.inferential": (
        " Med {j} sammenligningsområder kan randomiseringsinferens og Conley-Taber afvise på "
        "5 %-niveau (mindste mulige p-værdi {p}); deres intervaller dækker med "
        "sandsynligheden {level}, når områderne er udskiftelige."),
    "did.phases": (
        " Afgangsårene {years} ligger i en tidligere fase af indsatsen ({how})."),
    "did.phases.mark": "beholdt blandt årene før, markeret og testet som placebostartdatoer",
    "did.phases.exclude": "udeladt af alle estimater",
    "did.panel.title": "I uddannelse 15 måneder efter 9. klasse, efter boligområde ved baseline",
    "did.panel.caption": ("Børn efter det boligområde, de boede i tre år før afgangsprøven "
                          "(intention to treat); den lodrette linje markerer det første "
                          "behandlede afgangsår."),
    "did.twfe.title": "Estimat med tosidede faste effekter (børn)",
    "did.twfe.caption": ("Effekt på sandsynligheden for at være i uddannelse (som andel), de "
                         "behandlede afgangsår mod gennemsnittet af afgangsårene før "
                         "(pre_exam_years). Standardfejl og 95 %-interval fra cellerne af "
                         "område og afgangsår: børnene i en celle deler dens stød, som en "
                         "standardfejl på børneniveau overser; cellernes stød antages "
                         "uafhængige og lige store i alle boligområder (t-fordeling med "
                         "cellernes frihedsgrader)."),
    "did.twfe_matched.title": "Estimat med tosidede faste effekter på matchede børn",
    "did.twfe_matched.caption": (
        "Som estimatet med tosidede faste effekter, på boligområdets børn matchet på "
        "baselinedatoen og deres matchede sammenligningsbørn (hvert matchet barn én gang; "
        "se matchningstabellerne): boligområdets børn mod sammenligningsbørn fra samme "
        "afgangsår med samme kendetegn. Umatchede børn fra boligområdet er udeladt, så "
        "estimatet handler om de matchede."),
    "did.one_treated.title": "Inferens med ét behandlet boligområde",
    "did.one_treated.caption": ("Randomiseringsinferens: boligområdets estimat mod "
                                "placeboestimaterne for sammenligningsområderne (eksakt "
                                "p-værdi); Conley-Taber: sammenligningsområdernes "
                                "placeboestimater som fordelingen af boligområdets fejl, med "
                                "den observerede tildeling talt med (p-værdien er aldrig 0), "
                                "og korrigeret for ulige store områder (Ferman & Pinto). Med "
                                "J sammenligningsområder kan ingen p-værdi blive mindre end "
                                "1/(J+1) (smallest_p_value): med færre end 19 findes intet "
                                "95 %-interval, intervallet er hele tallinjen, og rækken "
                                "siger 'descriptive' (beskrivende); interval_level er "
                                "intervallets dækning, når det findes."),
    "did.honest.title": "Følsomhed over for brud på parallelle trends (Honest DiD)",
    "did.honest.caption": (
        "Den gennemsnitlige effekt over de behandlede afgangsår, når trenden efter indsatsen "
        "kan afvige fra sammenligningsområdernes med op til M gange den største ændring "
        "mellem to på hinanden følgende år før indsatsen (Rambachan & Roths relative "
        "størrelser): nedre-øvre grænse den identificerede mængde, nedre-øvre 95 %-"
        "grænse dens 95 %-konfidensinterval (conditional-least-favourable hybrid); M 'none' "
        "er det sædvanlige interval, der antager præcis parallelle trends. I forhold til det "
        "sidste afgangsår før indsatsen alene (reference_exam_year), ikke til gennemsnittet "
        "af årene før som estimatet med tosidede faste effekter: de to afviger, når årene "
        "før indsatsen afviger fra hinanden."),
    "did.dose.title": "Dosis-respons: effekt efter år i boligområdet efter starten",
    "did.dose.caption": (
        "Boligområdets børn efter de år af barndommen, de ville bo i boligområdet efter "
        "indsatsens start, frem til endt 9. klasse, hvis de blev boende (intention to treat: "
        "efter adressen ved baseline). Dosis er én værdi pr. afgangsår, så hvert "
        "dosisintervals effekt er effekten i dets afgangsår (exam_years) mod gennemsnittet "
        "før indsatsen, en effekt efter tid siden start, der ikke kan skilles fra kalendertid; "
        "slope_per_year er effektens ændring pr. års dosis med et spring ved starten tilladt "
        "(aldrig en linje tvunget gennem 0). Faste effekter for område og afgangsår; "
        "standardfejl fra cellerne af område og afgangsår."),
    "did.youth.title": ("Unge på offentlig forsørgelse (18-29 år, 1. januar), boligområdet mod "
                        "sammenligningsområderne"),
    "did.youth.caption": (
        "Andel af de 18-29-årige, der bor i området pr. 1. januar, og som er på offentlig "
        "forsørgelse, efter område og år (gentagne tværsnit af beboerne, så den flytter sig "
        "også med, hvem der flytter ind og ud). Tosidede faste effekter på område-år-"
        "andelene (klassisk standardfejl på cellerne), randomiseringsinferens med "
        "sammenligningsområderne som placebo og Conley-Taber, med hvad hver kan give med de "
        "sammenligningsområder, der er (se inferensen med ét behandlet boligområde)."),
    "did.event.title": "Event study efter afgangsår",
    "did.event.caption": (
        "Koefficienter i forhold til det sidste afgangsår før indsatsen, med punktvise 95 %-"
        "konfidensintervaller og et simultant (sup-t) 95 %-bånd over alle afgangsår (robust "
        "fra cellerne af område og afgangsår; den kritiske værdi er rækken sup_t_critical); "
        "koefficienterne før indsatsen tester parallelle trends. phase_exam_year er det "
        "første afgangsår i den fase af indsatsen, der gælder i rækkens afgangsår, og "
        "phase_event_time afgangsårene siden; afgangsår i en fase, der begyndte før det "
        "første behandlede afgangsår, er markeret og ikke rene år før indsatsen. Stiplede "
        "linjer markerer faserne."),
    "did.placebo.title": "Placebostartdatoer før indsatsen",
    "did.placebo.caption": (
        "Estimatet med tosidede faste effekter på afgangsårene før indsatsen, som om den var "
        "begyndt i et tidligere afgangsår (start_exam_year); standardfejl fra cellerne af "
        "område og afgangsår. Væk fra en fase af indsatsen bør et placebo ligge nær 0; hvor "
        "en fase begyndte (phase_start), estimerer det fasens egen effekt eller en trend "
        "før indsatsen."),
    "did.fig.panel_x": "afgangsår (endt 9. klasse)",
    "did.fig.panel_y": "i uddannelse 15 måneder senere (%)",
    "did.fig.panel_title": "Ungdomsuddannelse efter boligområde ved baseline (intention to "
                           "treat)",
    "did.fig.intervention": "indsatsen ({year})",
    "did.fig.later_phase": "senere fase ({year})",
    "did.fig.earlier_phase": "tidligere fase ({year})",
    "did.fig.before": "før indsatsen",
    "did.fig.after": "efter indsatsen",
    "did.fig.event_x": "afgangsår siden {year}",
    "did.fig.effect": "effekt på andelen i uddannelse",
    "did.fig.event_title": "Event study: boligområdet mod sammenligningsområderne",
    "did.fig.parallel": "parallelle\ntrends",
    "did.fig.honest_x": "M (relative størrelser)",
    "did.fig.honest_y": "gennemsnitlig effekt på andelen i uddannelse",
    "did.fig.honest_title": "Honest DiD: relative størrelser",
    "did.fig.dose_x": "år i boligområdet efter starten, ved endt 9. klasse",
    "did.fig.dose_title": "Indsatsens dosis-respons (fra {year})",
}

#: The catalog: language -> key -> text.
CATALOG: dict[str, dict[str, str]] = {"en": _EN, "da": _DA}


def _check_language(language: str) -> None:
    if language not in CATALOG:
        msg = f"language must be one of {list(CATALOG)}; got {language!r}"
        raise ValueError(msg)


def has(key: str) -> bool:
    """Whether the catalog has ``key``."""
    return key in _EN


def text(key: str, language: str = "en", /, **fmt: Any) -> str:
    """The text of ``key`` in ``language``, formatted with ``fmt``.

    >>> text("report.contents", "da")
    'Indhold'
    >>> text("goal.heading", "da", n=2, goal=text("goal.2", "da"))
    'Målsætning 2: Alle beboere under 30 år er i uddannelse og beskæftigelse'

    A key the catalog does not have is a :class:`KeyError` (a defect, never a
    silent English word in a Danish report).
    """
    _check_language(language)
    words = CATALOG[language][key]
    return words.format(**fmt) if fmt else words


# -- numbers for a reader ------------------------------------------------------------------

_DA_NUMBER = str.maketrans({",": ".", ".": ","})


def _local(s: str, language: str) -> str:
    return s.translate(_DA_NUMBER) if language == "da" else s


def integer(value: Any, language: str = "en") -> str:
    """A whole number with thousands separators: ``1,234`` / ``1.234``."""
    return _local(f"{int(value):,}", language)


def number(value: Any, language: str = "en", *, digits: int = 4) -> str:
    """A number to ``digits`` significant digits: ``0.1234`` / ``0,1234``."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e12:
        return integer(value, language)
    if 10 ** digits <= abs(value) < 1e12:
        # whole and grouped, never 3,816e+05: an exponent after a decimal comma reads
        # as 3816e+05 in English (and a padded 10-digit number looks like a CPR number)
        return integer(round(value), language)
    return _local(f"{value:,.{digits}g}", language)


def percent(share: Any, language: str = "en", *, decimals: int = 1) -> str:
    """A share as a percentage: ``12.3 %`` / ``12,3 %``."""
    return _local(f"{100 * float(share):.{decimals}f} %", language)


# -- names ----------------------------------------------------------------------------------

_SPECIAL_UNITS = ("rest_of_municipality", "rest_of_region", "rest_of_country", "abroad",
                  "birth", "death", "comparison")
_WITHOUT = " without "


def indicator_name(key: str, language: str = "en") -> str:
    """An indicator's display name (:data:`cohort.indicators.INDICATOR_NAMES`); else the code."""
    from cohort.indicators._names import INDICATOR_NAMES

    _check_language(language)
    return INDICATOR_NAMES[language].get(str(key), str(key))


def indicator_title(key: str, language: str = "en", params: Any = None) -> str:
    """An indicator's title with its ages and dates (the figure's panel title)."""
    from cohort.indicators._params import IndicatorParams

    p = params or IndicatorParams()
    fmt: dict[str, Any] = {}
    if key in ("youth_public_support",):
        fmt = {"lo": p.youth_ages[0], "hi": p.youth_ages[1]}
    elif key == "adult_public_support":
        fmt = {"lo": p.adult_ages[0], "hi": p.adult_ages[1]}
    elif key == "placements":
        fmt = {"lo": p.placement_ages[0], "hi": p.placement_ages[1]}
    elif key == "not_in_education_or_work":
        fmt = {"lo": p.labour_ages[0], "hi": p.labour_ages[1], "day": p.labour_on[1],
               "month": text(f"month.{p.labour_on[0]}", language)}
    elif key == "youth_convictions":
        fmt = {"lo": p.conviction_ages[0], "hi": p.conviction_ages[1]}
    elif key == "youth_education_15m":
        fmt = {"months": 12 * p.education_years_after + p.education_on[0] - p.school_on[0]}
    elif key == "school_absence":
        fmt = {"days": p.absence_days}
    elif key == "exam_grades":
        fmt = {"grade": f"{p.grade_average:g}"}
    return text(f"indicator.{key}", language, **fmt)


def unit_label(unit: Any, language: str = "en", units: Any = None) -> str:
    """A unit as a reader knows it.

    The study's ``[units.names]`` (through ``units``, a
    :class:`~cohort.study.spec.Units`), the catalog's words for the units the
    study does not name (``rest_of_municipality``, ``comparison``, ...), and
    ``"<municipality> without <area>"`` in words; otherwise the code unchanged.
    """
    s = str(unit)
    if _WITHOUT in s:
        whole, part = s.split(_WITHOUT, 1)
        return text("unit.without", language, unit=unit_label(whole, language, units),
                    part=unit_label(part, language, units))
    if s in _SPECIAL_UNITS:
        return text(f"unit.{s}", language)
    if units is not None:
        return units.name(s)
    return s


_CRITERIA_MET = re.compile(r"^(\d+) of (\d+)$")


def value_label(column: str, value: Any, language: str = "en", units: Any = None) -> str | None:
    """How the report shows a category ``value`` of ``column``; None: as it is.

    Indicators by their display names, units by theirs, resource statuses, groups,
    exits and verdicts in words of the language.
    """
    if not isinstance(value, str):
        return None
    if column == "indicator":
        return indicator_name(value, language)
    if column in ("unit", "area", "origin", "destination"):
        return unit_label(value, language, units)
    if column == "criteria_met":
        m = _CRITERIA_MET.match(value)
        return text("value.criteria_met", language, k=m[1], n=m[2]) if m else None
    if column in ("group", "exit", "met", "vulnerable", "criterion", "reference_source",
                  "direction", "term") and has(f"value.{value}"):
        return text(f"value.{value}", language)
    return None


# -- figures ---------------------------------------------------------------------------------

_FIGURE_KEYS = tuple(k for k in _EN if k.startswith("fig.") and not k.startswith(
    ("fig.source", "fig.disclosure")) and k != "fig.and")


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression that matches ``template`` with any text in its fields."""
    out, names = [], []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if field is not None:
            names.append(field)
            out.append(f"(?P<{field}>.+?)")
    return re.compile("^" + "".join(out) + "$", re.S)


@cache
def _rules(language: str) -> tuple[dict[str, str], tuple[tuple[re.Pattern[str], str], ...]]:
    exact, patterns = {}, []
    for key in _FIGURE_KEYS:
        en, here = _EN[key], CATALOG[language][key]
        if "{" in en:
            patterns.append((_pattern(en), key))
        else:
            exact[en] = here
    # the indicators' panel titles, with their ages (cohort.indicators' labels)
    from cohort.indicators._published import indicator_label

    for key in _INDICATOR_TITLES:
        exact[indicator_label(key)] = indicator_title(key, language)
    return exact, tuple(patterns)


_INDICATOR_TITLES = tuple(k.removeprefix("indicator.") for k in _EN if k.startswith("indicator."))


_COUNT = re.compile(r"^(?P<label>.*?)(?P<sep>\s*)(?P<n>\d{1,3}(?:,\d{3})+)$", re.S)


def figure_text(s: str, language: str, extra: Mapping[str, str] | None = None) -> str:
    """One text of a figure drawn in English, in ``language``."""
    if language == "en" or not s:
        return s
    if extra and s in extra:
        return extra[s]
    exact, patterns = _rules(language)
    if s in exact:
        return exact[s]
    for pattern, key in patterns:
        m = pattern.match(s)
        if m:
            fields = {k: _field(key, v, language, extra) for k, v in m.groupdict().items()}
            return text(key, language, **fields)
    m = _COUNT.match(s)  # a count drawn with its thousands separator: "Tingbjerg  1,234"
    if m:
        return f"{m['label']}{m['sep']}{_local(m['n'], language)}"
    return s


def _field(key: str, value: str, language: str, extra: Mapping[str, str] | None) -> str:
    """A field of a patterned figure text, in ``language``."""
    if key == "fig.band":  # a number
        return _local(value, language)
    if key == "fig.indicators_title":  # "A and B"
        return value.replace(_EN["fig.and"], CATALOG[language]["fig.and"])
    return figure_text(value, language, extra)


def localize_figure(fig: Any, language: str, extra: Mapping[str, str] | None = None) -> Any:
    """Put the texts of a figure the library drew (in English) into ``language``.

    Every text artist of ``fig`` (titles, axis labels, legend entries, tick
    labels, annotations) whose English words are a catalog entry ``fig.*`` gets
    that entry's words in ``language``; ``extra`` maps further texts (the
    figure's own, e.g. a title built from unit names). Counts drawn with a
    thousands separator get the language's. English returns ``fig`` unchanged.
    """
    _check_language(language)
    if language == "en":
        return fig
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        s = t.get_text()
        new = figure_text(s, language, extra)
        if new != s:
            t.set_text(new)
    return fig


def source_note(language: str, *, study: str, extract: str | None = None,
                extract_end: Any = None, version: str | None = None) -> str:
    """The figure's source line in ``language`` (:func:`cohort.figures.source_line`'s words)."""
    if version is None:
        import cohort

        version = cohort.__version__
    out = text("fig.source", language, study=study)
    if extract:
        out += text("fig.source_extract", language, extract=extract)
    if extract_end is not None:
        end = extract_end.isoformat() if hasattr(extract_end, "isoformat") else str(extract_end)
        out += text("fig.source_end", language, end=end)
    return out + text("fig.source_version", language, version=version)


def disclosure_text(settings: Any, language: str) -> str:
    """What disclosure control did, in ``language`` (:func:`cohort.figures.disclosure_note`)."""
    if not getattr(settings, "enabled", True):
        return text("fig.disclosure_off", language)
    out = text("fig.disclosure", language, threshold=int(settings.threshold))
    rounding = getattr(settings, "rounding", "none")
    if rounding == "base":
        out += text("fig.disclosure_base", language, base=settings.rounding_base)
    elif rounding == "midpoint":
        out += text("fig.disclosure_midpoint", language, base=settings.rounding_base)
    return out
