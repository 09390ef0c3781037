"""Reader agreement: per measure and level, the protocol's primary intraclass correlation with
its confidence interval and Bland-Altman limits of agreement with the smallest detectable change;
per grading item, percent agreement and Cohen's kappa with a subject-bootstrap interval; agreement
on eligibility verdicts. Inter-reader (different readers) and intra-reader (a reader's repeat
reads). One tidy table, a row per statistic (:data:`AGREEMENT_COLUMNS`)."""

from imaging.agreement.icc import Interval, intraclass_correlations
from imaging.agreement.statistics import BlandAltman, bland_altman, weighted_kappa
from imaging.agreement.tables import AGREEMENT_COLUMNS, agreement_table

__all__ = [
    "AGREEMENT_COLUMNS",
    "BlandAltman",
    "Interval",
    "agreement_table",
    "bland_altman",
    "intraclass_correlations",
    "weighted_kappa",
]
