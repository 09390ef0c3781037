"""Trial protocols as data: visits and windows, levels read, grading scales, eligibility rules.

``load_protocol()`` gives the default protocol (the DLBP trial, ChiCTR2200058291);
``load_protocol(path)`` any protocol file (format: ``docs/protocol-format.md``). Scales are TOML
files too (``imaging/protocol/scales/``), so a new scale is a protocol edit, not a code change.
"""

from imaging.protocol.eligibility import (
    RuleResult,
    SubjectEligibility,
    SubjectVerdict,
    Verdict,
    eligibility_table,
    evaluate_eligibility,
    evaluate_subject,
)
from imaging.protocol.grade_forms import GradeRow, read_grade_csv, write_grade_csv
from imaging.protocol.loader import DEFAULT_PROTOCOL, builtin_protocols, load_protocol
from imaging.protocol.model import (
    CASE_SITE,
    AnyOfRule,
    FindingRule,
    GradeRule,
    GradingItem,
    InstabilityRule,
    Match,
    MeasureRule,
    Protocol,
    RigidityRule,
    Role,
    Rule,
    Visit,
    normalise_level,
)
from imaging.protocol.scales import DecisionStep, Grade, Scale, load_scale
from imaging.protocol.visits import AssignmentStatus, VisitAssignment, assign_visit

__all__ = [
    "CASE_SITE",
    "DEFAULT_PROTOCOL",
    "AnyOfRule",
    "AssignmentStatus",
    "DecisionStep",
    "FindingRule",
    "Grade",
    "GradeRow",
    "GradeRule",
    "GradingItem",
    "InstabilityRule",
    "Match",
    "MeasureRule",
    "Protocol",
    "RigidityRule",
    "Role",
    "Rule",
    "RuleResult",
    "Scale",
    "SubjectEligibility",
    "SubjectVerdict",
    "Verdict",
    "Visit",
    "VisitAssignment",
    "assign_visit",
    "builtin_protocols",
    "eligibility_table",
    "evaluate_eligibility",
    "evaluate_subject",
    "load_protocol",
    "load_scale",
    "normalise_level",
    "read_grade_csv",
    "write_grade_csv",
]
