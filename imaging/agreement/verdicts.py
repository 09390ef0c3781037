"""Agreement on eligibility: each read set's own verdicts, compared subject by subject.

Each reader's rows alone go through the protocol's eligibility rules
(:func:`imaging.protocol.eligibility.evaluate_eligibility`, as ``spine-endpoints eligibility``
evaluates them); per rule (``pass``, ``fail``, ``not evaluable``) and for the subject's verdict
(``eligible``, ``not eligible``, ``pending``): percent agreement and unweighted kappa over the
subjects both read sets evaluated, with the subject bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from imaging.endpoints import EndpointRow, endpoint_table
from imaging.protocol.eligibility import (
    SubjectEligibility,
    SubjectVerdict,
    Verdict,
    evaluate_eligibility,
    split_grades,
)
from imaging.protocol.model import Protocol

if TYPE_CHECKING:
    from imaging.agreement.tables import Comparison, ReadSet

SUBJECT_VERDICT = "subject_verdict"
"""The ``name`` of the rows comparing the subjects' overall verdicts."""


def verdict_rows(
    protocol: Protocol, comparison: Comparison, by_set: Mapping[ReadSet, Sequence[EndpointRow]]
) -> list[dict[str, Any]]:
    """The eligibility rows of one comparison (none when the protocol has no rules)."""
    from imaging.agreement.tables import categorical_statistics

    if not protocol.rules:
        return []
    first = _verdicts(protocol, by_set.get(comparison.first, ()))
    second = _verdicts(protocol, by_set.get(comparison.second, ()))
    subjects = sorted(first.keys() & second.keys())
    if not subjects:
        return []
    visit = protocol.eligibility_visit
    targets = [(subject, visit, "") for subject in subjects]
    rows = categorical_statistics(
        protocol, comparison, "eligibility", SUBJECT_VERDICT, "", "", targets,
        [first[s].verdict.value for s in subjects], [second[s].verdict.value for s in subjects],
        [v.value for v in SubjectVerdict], False, "none",
    )  # fmt: skip
    for index, rule in enumerate(protocol.rules):
        rows += categorical_statistics(
            protocol, comparison, "eligibility", rule.id, "", "", targets,
            [first[s].results[index].verdict.value for s in subjects],
            [second[s].results[index].verdict.value for s in subjects],
            [v.value for v in Verdict], False, "none",
        )  # fmt: skip
    return rows


def _verdicts(protocol: Protocol, rows: Sequence[EndpointRow]) -> dict[str, SubjectEligibility]:
    if not rows:
        return {}
    grades, measures = split_grades(endpoint_table(rows))
    return {result.subject: result for result in evaluate_eligibility(protocol, grades, measures)}
