"""Evaluate a protocol's imaging eligibility rules per subject, from grades and measures.

Inputs are tidy tables (pandas DataFrames):

* grades: one row per graded value, columns ``subject, visit, level, item, code, reader`` and
  optionally ``role`` (``adjudicator`` reads decide when present) and ``note`` (the reader's
  comment on the level, quoted when a finding is not assessable);
* measures: the endpoint table of :mod:`imaging.endpoints`, columns ``subject, visit, level,
  measure, value, unit`` (plus ``reader``, ``note``, ``reference_levels`` when present).

Each rule gives ``pass``, ``fail`` or ``not evaluable`` with the values it used. For an inclusion
rule "pass" means its condition holds; for an exclusion rule "pass" means the excluding finding is
absent. A subject is ``eligible`` only when every rule passes; any failed rule makes it ``not
eligible``; otherwise some criterion is undecided and the subject is ``pending``, the reason
naming each undecided rule and why (a finding not assessable, a grade or measure missing).
Several readers: an adjudicator's grade decides; otherwise readers must agree (a disagreement is
"not evaluable: adjudication needed"); measures are averaged over readers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from imaging.calibration import CalibrationSource
from imaging.measures import MEASURES
from imaging.protocol.model import (
    COMPARISONS,
    FindingRule,
    GradeRule,
    InstabilityRule,
    Match,
    MeasureRule,
    Protocol,
    RigidityRule,
    Role,
    Rule,
)
from imaging.protocol.rigidity import rigidity_condition

GRADE_COLUMNS = ("subject", "visit", "level", "item", "code", "reader")
MEASURE_COLUMNS = ("subject", "visit", "level", "measure", "value", "unit")


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_EVALUABLE = "not evaluable"


class SubjectVerdict(StrEnum):
    """``pending``: no rule fails but at least one is undecided (named in the reason)."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not eligible"
    PENDING = "pending"


@dataclass(frozen=True)
class RuleResult:
    """One rule for one subject: the verdict, the values it rests on and why."""

    rule_id: str
    role: Role
    kind: str
    text: str
    verdict: Verdict
    values: str
    reason: str


@dataclass(frozen=True)
class SubjectEligibility:
    subject: str
    visit: str
    verdict: SubjectVerdict
    results: tuple[RuleResult, ...]
    reason: str


@dataclass(frozen=True)
class _Outcome:
    """A rule's condition: True, False or None (cannot tell), with values and reason."""

    holds: bool | None
    values: str
    reason: str


def _combine(outcomes: Sequence[_Outcome], match: Match, what: str) -> _Outcome:
    values = "; ".join(o.values for o in outcomes if o.values)
    if match is Match.ANY:
        if any(o.holds is True for o in outcomes):
            return _Outcome(True, values, f"{what}: met")
        missing = [o.reason for o in outcomes if o.holds is None]
        if missing:
            return _Outcome(None, values, "; ".join(missing))
        return _Outcome(False, values, f"{what}: not met")
    if any(o.holds is False for o in outcomes):
        return _Outcome(False, values, f"{what}: not met everywhere")
    missing = [o.reason for o in outcomes if o.holds is None]
    if missing:
        return _Outcome(None, values, "; ".join(missing))
    return _Outcome(True, values, f"{what}: met everywhere")


def _check_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the {what} table lacks columns {missing}")


class _SubjectData:
    """One subject's rows at the eligibility visit, grouped once by (item or measure, level) as
    plain records: the rules ask for them hundreds of times per subject."""

    def __init__(
        self, protocol: Protocol, subject: str, grades: pd.DataFrame, measures: pd.DataFrame
    ):
        self.protocol = protocol
        visit = protocol.eligibility_visit
        grades = grades[(grades["subject"] == subject) & (grades["visit"] == visit)]
        measures = measures[(measures["subject"] == subject) & (measures["visit"] == visit)]
        self._graded = _records(grades, "item")
        self._measured = _records(measures, "measure")

    def grade(self, item: str, level: str) -> tuple[str | None, str]:
        """(The consolidated grade code, ''), or (None, why not)."""
        rows = [r for r in self._graded.get((item, level), []) if _text(r.get("code"))]
        if not rows:
            return None, f"{level} {item}: not graded"
        if any(r.get("role") == "adjudicator" for r in rows):
            rows = [r for r in rows if r.get("role") == "adjudicator"]
        codes = sorted({_text(r["code"]) for r in rows})
        if len(codes) == 1:
            return codes[0], ""
        opinions = ", ".join(f"{_text(r.get('reader'))}: {_text(r['code'])}" for r in rows)
        return None, f"{level} {item}: readers disagree ({opinions}); adjudication needed"

    def comments(self, item: str, level: str) -> str:
        """The readers' comments on ``level`` where ``item`` is graded: ``R1: 'why'; ...``."""
        said = {
            (_text(r.get("reader")), r["note"])
            for r in self._graded.get((item, level), [])
            if isinstance(r.get("note"), str) and r["note"].strip()
        }
        return "; ".join(f"{reader}: {note!r}" for reader, note in sorted(said))

    def measure(self, measure: str, level: str) -> tuple[float | None, str]:
        """One value per decision, or (None, why not).

        Only the film the measure is decided on counts (the registry's first film: the neutral
        standing lateral film for heights, loss and static slip; the flexion-extension pair for
        ROM). An adjudicator's value decides when there is one; otherwise the readers' values
        are averaged, one per reader. A millimetre value from a spacing not corrected for
        magnification (``detector``, ``unknown``) decides nothing.
        """
        every = self._measured.get((measure, level), [])
        film = MEASURES[measure].films[0] if measure in MEASURES else ""
        rows = [
            r for r in every
            if (not film or "film" not in r or _text(r["film"]) == film)
            and _number(r.get("value")) is not None
        ]  # fmt: skip
        where = f"{film} film" if film else ""
        if not rows:
            notes = "; ".join(
                sorted({r["note"] for r in every if isinstance(r.get("note"), str) and r["note"]})
            )
            why = f" ({notes})" if notes else ""
            on = f" on the {where}" if where else ""
            return None, f"{level} {measure}: not measured{on}{why}"
        if measure in MEASURES and MEASURES[measure].unit == "mm":
            untrusted = _untrusted_scale(rows)
            if untrusted:
                return None, (
                    f"{level} {measure}: millimetres from a {untrusted} pixel spacing, not "
                    "corrected for magnification, decide nothing (the protocol names no "
                    "accepted magnification factor)"
                )
        if any(r.get("role") == "adjudicator" for r in rows):
            rows = [r for r in rows if r.get("role") == "adjudicator"]
        by_reader: dict[str, list[float]] = {}
        for r in rows:
            by_reader.setdefault(_text(r.get("reader")), []).append(float(r["value"]))
        means = [sum(v) / len(v) for v in by_reader.values()]
        count = len(means)
        only = next(iter(by_reader))
        who = f"mean of {count} readers" if count > 1 else f"reader {only}" if only else ""
        return sum(means) / count, ", ".join(t for t in (who, where) if t)


def _records(frame: pd.DataFrame, name: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(``name`` column, level) -> the rows as dicts."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in frame.to_dict("records"):
        record = {str(key): value for key, value in row.items()}
        grouped.setdefault((_text(record[name]), _text(record["level"])), []).append(record)
    return grouped


def _text(value: object) -> str:
    """A cell as text: '' for missing (None, NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _number(value: object) -> float | None:
    """A cell as a finite number, else None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _untrusted_scale(rows: list[dict[str, Any]]) -> str:
    """The first calibration source among the rows (pairs: either film's) whose millimetres are
    not the patient's (:attr:`imaging.calibration.CalibrationSource.at_the_patient`), or ''."""
    for row in rows:
        for source in _text(row.get("calibration")).split(";"):
            if source in _MAGNIFIED:
                return source
    return ""


_MAGNIFIED = frozenset(
    s.value for s in CalibrationSource if s is not CalibrationSource.NONE and not s.at_the_patient
)
"""``detector`` and ``unknown``: millimetres magnified by an unknown factor."""


def _grade_rule(rule: GradeRule, data: _SubjectData) -> _Outcome:
    outcomes = []
    for level in rule.levels:
        for item in rule.items:
            code, detail = data.grade(item, level)
            if code is None:
                outcomes.append(_Outcome(None, "", detail))
            else:
                outcomes.append(_Outcome(code in rule.values, f"{level} {item} {code}", ""))
    allowed = ", ".join(rule.values)
    return _combine(outcomes, rule.match, f"{rule.match} of the grades in [{allowed}]")


def _measure_rule(rule: MeasureRule, data: _SubjectData) -> _Outcome:
    outcomes = []
    for level in rule.levels:
        value, detail = data.measure(rule.measure, level)
        if value is None:
            outcomes.append(_Outcome(None, "", detail))
            continue
        text = f"{level} {rule.measure} {value:.2f}{(' ' + rule.unit) if rule.unit else ''}"
        if detail:
            text += f" ({detail})"
        outcomes.append(_Outcome(rule.holds(value), text, ""))
    unit = f" {rule.unit}" if rule.unit else ""
    return _combine(
        outcomes, rule.match, f"{rule.measure} {rule.comparison} {rule.threshold:g}{unit}"
    )


def _instability_rule(rule: InstabilityRule, data: _SubjectData) -> _Outcome:
    outcomes = []
    for level in rule.levels:
        translation, why_t = data.measure(rule.translation_measure, level)
        angle, why_a = data.measure(rule.angle_measure, level)
        parts = []
        if translation is not None:
            parts.append(f"translation ROM {translation:.2f} mm")
        if angle is not None:
            parts.append(f"angular ROM {angle:.2f} deg")
        text = f"{level} {', '.join(parts)}" if parts else ""
        exceeds = (translation is not None and translation > rule.translation_mm) or (
            angle is not None and angle > rule.angle_deg
        )
        if exceeds:
            outcomes.append(_Outcome(True, text, ""))
        elif translation is None or angle is None:
            why = "; ".join(w for v, w in ((translation, why_t), (angle, why_a)) if v is None)
            outcomes.append(_Outcome(None, text, why))
        else:
            outcomes.append(_Outcome(False, text, ""))
    what = f"translation ROM > {rule.translation_mm:g} mm or angular ROM > {rule.angle_deg:g} deg"
    return _combine(outcomes, Match.ANY, what)


def _finding_rule(rule: FindingRule, data: _SubjectData) -> _Outcome:
    """Decided by ``yes`` or ``no`` only; ``not_assessable`` or no record leaves it undecided."""
    outcomes = []
    for level in rule.levels:
        for item in rule.items:
            code, detail = data.grade(item, level)
            if code in (rule.present, rule.absent):
                outcomes.append(_Outcome(code == rule.present, f"{level} {item} {code}", ""))
                continue
            comments = data.comments(item, level)
            why = f" ({comments})" if comments else ""
            if code is None:
                reason = detail.replace(": not graded", ": not recorded") + why
                outcomes.append(_Outcome(None, "", reason))
            else:
                reason = f"{level} {item}: {code.replace('_', ' ')}{why}"
                outcomes.append(_Outcome(None, f"{level} {item} {code}", reason))
    return _combine(outcomes, rule.match, f"{rule.match} of the findings recorded yes")


def _condition(rule: Rule, data: _SubjectData) -> _Outcome:
    if isinstance(rule, GradeRule):
        return _grade_rule(rule, data)
    if isinstance(rule, FindingRule):
        return _finding_rule(rule, data)
    if isinstance(rule, MeasureRule):
        return _measure_rule(rule, data)
    if isinstance(rule, InstabilityRule):
        return _instability_rule(rule, data)
    if isinstance(rule, RigidityRule):
        return _Outcome(*rigidity_condition(data.protocol, rule, data.grade))
    parts = [(part.id, _condition(part, data)) for part in rule.rules]
    values = "; ".join(o.values for _, o in parts if o.values)
    met = [name for name, o in parts if o.holds is True]
    if met:
        return _Outcome(True, values, f"met by {', '.join(met)}")
    unknown = [f"{name}: {o.reason}" for name, o in parts if o.holds is None]
    if unknown:
        return _Outcome(None, values, "; ".join(unknown))
    return _Outcome(False, values, "none of " + ", ".join(name for name, _ in parts) + " met")


def _verdict(role: Role, holds: bool | None) -> Verdict:
    if holds is None:
        return Verdict.NOT_EVALUABLE
    return Verdict.PASS if holds is (role is Role.INCLUSION) else Verdict.FAIL


def evaluate_subject(
    protocol: Protocol, subject: str, grades: pd.DataFrame, measures: pd.DataFrame
) -> SubjectEligibility:
    """Every eligibility rule of ``protocol`` for one subject, at its eligibility visit."""
    data = _SubjectData(protocol, subject, grades, measures)
    results = []
    for rule in protocol.rules:
        outcome = _condition(rule, data)
        kind = rule.kind
        if isinstance(rule, MeasureRule):
            kind = next(k for k, c in COMPARISONS.items() if c == rule.comparison)
        results.append(
            RuleResult(
                rule_id=rule.id,
                role=rule.role,
                kind=kind,
                text=rule.text,
                verdict=_verdict(rule.role, outcome.holds),
                values=outcome.values,
                reason=outcome.reason,
            )
        )
    verdict, reason = _subject_verdict(results)
    return SubjectEligibility(subject, protocol.eligibility_visit, verdict, tuple(results), reason)


def _subject_verdict(results: Sequence[RuleResult]) -> tuple[SubjectVerdict, str]:
    """A failed rule decides (whatever else is undecided); eligible only when every rule passes;
    otherwise pending, naming each undecided rule and why."""
    failed = [r.rule_id for r in results if r.verdict is Verdict.FAIL]
    if failed:
        return SubjectVerdict.NOT_ELIGIBLE, "fails " + ", ".join(failed)
    undecided = [r for r in results if r.verdict is not Verdict.PASS]
    if undecided:
        named = "; ".join(f"{r.rule_id} ({r.reason})" for r in undecided)  # never without one
        return SubjectVerdict.PENDING, f"undecided: {named}"
    return SubjectVerdict.ELIGIBLE, "meets every imaging criterion"


def evaluate_eligibility(
    protocol: Protocol,
    grades: pd.DataFrame | None = None,
    measures: pd.DataFrame | None = None,
    subjects: Iterable[str] | None = None,
) -> list[SubjectEligibility]:
    """Evaluate every subject found in ``grades`` or ``measures`` (or the ``subjects`` given)."""
    grades = pd.DataFrame(columns=list(GRADE_COLUMNS)) if grades is None else grades
    measures = pd.DataFrame(columns=list(MEASURE_COLUMNS)) if measures is None else measures
    _check_columns(grades, GRADE_COLUMNS, "grades")
    _check_columns(measures, MEASURE_COLUMNS, "measures")
    # Rows are filed under the visit id their name stands for ('BASELINE', 'Month 6'); a name of
    # no visit (NaN, a number, a visit of another protocol) is kept as written: no visit's row.
    grades = grades.assign(visit=grades["visit"].map(lambda v: protocol.visit_id(v) or v))
    measures = measures.assign(visit=measures["visit"].map(lambda v: protocol.visit_id(v) or v))
    if subjects is None:
        found = set(grades["subject"].astype(str)) | set(measures["subject"].astype(str))
        subjects = sorted(found)
    return [evaluate_subject(protocol, s, grades, measures) for s in subjects]


def split_grades(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Endpoint table rows (docs/endpoint-table.md) -> (grades in :data:`GRADE_COLUMNS`, plus
    ``role`` and ``note`` when present; measure rows). Grade rows are those with a ``grade``
    code."""
    graded = rows["grade"].fillna("").astype(str) != ""
    grades = rows[graded].rename(columns={"measure": "item", "grade": "code"})
    optional = [c for c in ("role", "note") if c in rows.columns]
    columns = [*GRADE_COLUMNS, *optional]
    return grades[columns], rows[~graded]


ELIGIBILITY_COLUMNS = (
    "subject",
    "visit",
    "rule",
    "role",
    "kind",
    "verdict",
    "values",
    "reason",
    "subject_verdict",
    "subject_reason",
    "text",
)
"""Columns of the eligibility table: one row per subject x rule."""


def eligibility_table(results: Iterable[SubjectEligibility]) -> pd.DataFrame:
    """One row per subject x rule: ``subject, visit, rule, role, kind, verdict, values, reason,
    subject_verdict, subject_reason, text``."""
    rows = [
        {
            "subject": s.subject,
            "visit": s.visit,
            "rule": r.rule_id,
            "role": r.role.value,
            "kind": r.kind,
            "verdict": r.verdict.value,
            "values": r.values,
            "reason": r.reason,
            "subject_verdict": s.verdict.value,
            "subject_reason": s.reason,
            "text": r.text,
        }
        for s in results
        for r in s.results
    ]
    return pd.DataFrame(rows, columns=list(ELIGIBILITY_COLUMNS))
