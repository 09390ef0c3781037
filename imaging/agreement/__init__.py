"""Reader agreement: kappa for grades, intraclass correlation and Bland-Altman for measures."""

from imaging.agreement.statistics import (
    ICC_FORMS,
    BlandAltman,
    bland_altman,
    intraclass_correlations,
    weighted_kappa,
)
from imaging.agreement.tables import AGREEMENT_COLUMNS, agreement_table

__all__ = [
    "AGREEMENT_COLUMNS",
    "ICC_FORMS",
    "BlandAltman",
    "agreement_table",
    "bland_altman",
    "intraclass_correlations",
    "weighted_kappa",
]
