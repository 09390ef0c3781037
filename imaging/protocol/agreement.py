"""What a protocol pre-specifies for reader agreement: the ``[agreement]`` table.

- ``primary_icc``: the one intraclass correlation reported for every measure and level (Shrout &
  Fleiss 1979 name, or its McGraw & Wong 1996 name: ``"ICC(2,1)"`` = ``"ICC(A,1)"``);
- ``[agreement.kappa_weights]``: Cohen's kappa weighting per scale (key: the name in
  ``[scales]``): ``none`` (nominal, e.g. Modic), ``linear`` (Cicchetti-Allison) or ``quadratic``
  (Fleiss-Cohen); default ``linear`` on ordered scales, ``none`` on nominal ones;
- ``bootstrap_resamples`` and ``bootstrap_seed``: the subject bootstrap of kappa's confidence
  interval (levels are clustered within subjects).

docs/protocol-format.md shows the table; :mod:`imaging.agreement` computes what it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from imaging.protocol._toml import Table
    from imaging.protocol.scales import Scale

KappaWeights = Literal["none", "linear", "quadratic"]
KAPPA_WEIGHTS: tuple[KappaWeights, ...] = ("none", "linear", "quadratic")
"""Cohen's kappa weightings: ``none`` (Cohen 1960), ``linear`` (Cicchetti & Allison 1971),
``quadratic`` (Fleiss & Cohen 1973)."""

ICC_FORMS: Mapping[str, str] = MappingProxyType(
    {
        "ICC(1,1)": "ICC(1): one-way random effects, absolute agreement, single reader",
        "ICC(2,1)": "ICC(A,1): two-way random effects, absolute agreement, single reader",
        "ICC(3,1)": "ICC(C,1): two-way mixed effects, consistency, single reader",
        "ICC(1,k)": "ICC(k): one-way random effects, absolute agreement, mean of k readers",
        "ICC(2,k)": "ICC(A,k): two-way random effects, absolute agreement, mean of k readers",
        "ICC(3,k)": "ICC(C,k): two-way mixed effects, consistency, mean of k readers",
    }
)
"""Shrout & Fleiss (1979) forms -> their McGraw & Wong (1996) name and model."""
MCGRAW_WONG: Mapping[str, str] = MappingProxyType(
    {text.split(":")[0]: form for form, text in ICC_FORMS.items()}
)
"""McGraw & Wong names (``ICC(A,1)``) -> Shrout & Fleiss forms (``ICC(2,1)``)."""

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20240516
RESAMPLES_RANGE = (200, 100_000)
"""Fewer than 200 resamples make a percentile interval's 2.5 % tail rest on a handful of values;
more than 100,000 add nothing but time."""


@dataclass(frozen=True)
class AgreementSettings:
    """The protocol's pre-specified agreement statistics (see the module docstring)."""

    primary_icc: str = "ICC(2,1)"
    kappa_weights: tuple[tuple[str, KappaWeights], ...] = ()
    """(scale id, weighting) for the scales the protocol names; others take the default."""
    bootstrap_resamples: int = DEFAULT_RESAMPLES
    bootstrap_seed: int = DEFAULT_SEED

    def weights(self, scale: Scale) -> KappaWeights:
        """The kappa weighting of ``scale``: the protocol's, else ``linear`` when ordered."""
        named = dict(self.kappa_weights).get(scale.id)
        if named is not None:
            return named
        return "linear" if scale.ordered else "none"

    @property
    def primary_icc_model(self) -> str:
        """'ICC(A,1): two-way random effects, absolute agreement, single reader'."""
        return ICC_FORMS[self.primary_icc]


def agreement_settings(table: Table | None, scales: Mapping[str, Scale]) -> AgreementSettings:
    """The ``[agreement]`` table (None: the defaults); errors name the line and the key."""
    if table is None:
        return AgreementSettings()
    form = table.text("primary_icc", "ICC(2,1)").replace(" ", "")
    form = MCGRAW_WONG.get(form, form)
    if form not in ICC_FORMS:
        raise table.error(
            "primary_icc",
            f"primary_icc {table.raw('primary_icc')!r} is not an intraclass correlation form",
            "Write one of "
            + ", ".join(f'"{f}" ({t.split(":")[0]})' for f, t in ICC_FORMS.items())
            + '; trials usually pre-specify "ICC(2,1)", absolute agreement.',
        )
    resamples = table.whole("bootstrap_resamples", DEFAULT_RESAMPLES)
    low, high = RESAMPLES_RANGE
    if not low <= resamples <= high:
        raise table.error(
            "bootstrap_resamples",
            f"bootstrap_resamples must be between {low} and {high:,}, got {resamples}",
            f"Write e.g. bootstrap_resamples = {DEFAULT_RESAMPLES}.",
        )
    seed = table.whole("bootstrap_seed", DEFAULT_SEED)
    if seed < 0:
        raise table.error(
            "bootstrap_seed", f"bootstrap_seed must be a whole number >= 0, got {seed}"
        )
    weights: list[tuple[str, KappaWeights]] = []
    named = table.table("kappa_weights", None)
    if named is not None:
        for name, value in list(named.items()):
            weights.append((_scale(named, name, scales).id, _weighting(named, name, value, scales)))
        named.done()
    table.done()
    return AgreementSettings(form, tuple(weights), resamples, seed)


def _scale(table: Table, name: str, scales: Mapping[str, Scale]) -> Scale:
    if name not in scales:
        raise table.error(
            name,
            f"kappa_weights names scale {name!r}, which [scales] does not declare",
            f"Declared scales: {', '.join(scales)}.",
        )
    return scales[name]


def _weighting(table: Table, name: str, value: object, scales: Mapping[str, Scale]) -> KappaWeights:
    for weights in KAPPA_WEIGHTS:
        if value == weights:
            if weights != "none" and not scales[name].ordered:
                raise table.error(
                    name,
                    f"scale {name!r} is nominal (its grades have no order): a {weights} "
                    "weighted kappa would treat some disagreements as nearer than others",
                    f'Write {name} = "none".',
                )
            return weights
    raise table.error(
        name,
        f"kappa weighting of {name} must be one of {', '.join(KAPPA_WEIGHTS)}, got {value!r}",
        f'Write {name} = "linear" (ordered scales) or "none" (nominal scales).',
    )
