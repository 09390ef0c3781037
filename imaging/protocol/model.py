"""The trial protocol as data: visits, levels read, grading items, thresholds, eligibility rules.

Every class is a frozen dataclass that validates itself on construction, so a :class:`Protocol`
in hand is consistent (visit ids unique, rules refer to items and levels that exist, rule values
are grades of the right scale). Days are whole days relative to the protocol's anchor (day 0 is
the treatment day). Levels are disc levels in the spelling of :class:`imaging.anatomy.DiscLevel`
(``L4-L5``) or, for other sites (sacroiliac joints, vertebral corners), the names the protocol
declares.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import ClassVar

from imaging.anatomy import DiscLevel
from imaging.errors import ProtocolError
from imaging.measures import (
    MEASURES,
    MeasureKind,
    known_measures_text,
    measure,
    unknown_measure,
)
from imaging.protocol.agreement import AgreementSettings
from imaging.protocol.msasss import MsasssSettings
from imaging.protocol.reading_design import ReadingDesign
from imaging.protocol.scales import Scale

_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
VISIT_SCHEDULES = ("protocol", "core_lab")
"""Whose visit schedule a protocol file holds: the trial protocol's, or the core lab's."""
RESERVED_COLUMNS = frozenset({"subject", "visit", "level", "reader", "comment"})
CASE_SITE = "spine"
"""The site of findings read once per case (the whole spine imaged), not per level read: items
may name it in their ``levels`` without it being one of ``[reading] levels``."""


def normalise_level(text: str) -> str:
    """``"L4-5"``, ``"l4/5"`` -> ``"L4-L5"``; other site names keep their spelling, trimmed."""
    try:
        return DiscLevel(text).value
    except ValueError:
        return " ".join(str(text).split())


def visit_name_key(name: object) -> str:
    """How a visit name is compared: case ignored, runs of spaces, ``_`` and ``-`` one separator
    (``"Month 6"``, ``"month-6"`` and ``"MONTH_6"`` are one name)."""
    return "_".join(re.split(r"[\s_\-]+", str(name).strip().upper()))


def _token(value: str, what: str, key: str) -> str:
    if not _TOKEN.match(value):
        raise ProtocolError(
            f"{what} {value!r} must start with a letter or digit and use only letters, digits, "
            "'_', '-' and '.'",
            key=key,
        )
    return value


class Role(StrEnum):
    """Inclusion: the subject must meet the condition. Exclusion: the subject must not."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Match(StrEnum):
    """Over several items or levels: the condition holds for ``any`` one of them or ``all``."""

    ANY = "any"
    ALL = "all"


@dataclass(frozen=True)
class Visit:
    """A scheduled visit: nominal ``day`` and a window of ``window_before``/``window_after`` days.

    ``time_point_ids`` are the (0012,0050) *Clinical Trial Time Point ID* values that name this
    visit in DICOM files (matched by :func:`visit_name_key`; the visit id itself always matches).
    """

    id: str
    label: str
    day: int
    window_before: int = 0
    window_after: int = 0
    time_point_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _token(self.id, "visit id", "id")
        for name in ("window_before", "window_after"):
            if getattr(self, name) < 0:
                raise ProtocolError(
                    f"visit {self.id!r}: {name} must be 0 or more days, got {getattr(self, name)}",
                    key=name,
                )

    @property
    def first_day(self) -> int:
        return self.day - self.window_before

    @property
    def last_day(self) -> int:
        return self.day + self.window_after

    def in_window(self, day: int) -> bool:
        return self.first_day <= day <= self.last_day

    def window_text(self) -> str:
        return f"day {self.first_day} to {self.last_day} (nominal {self.day})"

    @cached_property
    def names(self) -> tuple[str, ...]:
        """The id and time point ids, each as :func:`visit_name_key` compares it."""
        return tuple(dict.fromkeys(visit_name_key(v) for v in (self.id, *self.time_point_ids)))

    def matches(self, name: object) -> bool:
        return visit_name_key(name) in self.names


@dataclass(frozen=True)
class GradingItem:
    """One graded field per level, e.g. ``pfirrmann`` or ``modic_cranial``; also a CSV column.

    ``visits`` are the visit ids the item is read at (empty: every visit), e.g. screening
    findings read at baseline only. ``levels`` may include :data:`CASE_SITE` for a finding read
    once per case.
    """

    name: str
    scale: Scale
    levels: tuple[str, ...]
    description: str = ""
    visits: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _token(self.name, "item name", "name")
        if self.name in RESERVED_COLUMNS:
            raise ProtocolError(
                f"item name {self.name!r} is a reserved column name "
                f"({', '.join(sorted(RESERVED_COLUMNS))})",
                key="name",
            )
        if not self.levels:
            raise ProtocolError(f"item {self.name!r} has no levels", key="levels")

    def read_at_visit(self, visit: str) -> bool:
        """Whether the item is read at ``visit`` (a visit id)."""
        return not self.visits or visit in self.visits

    def visits_text(self) -> str:
        """``"every visit"`` or ``"baseline only"`` / ``"baseline and month_12 only"``."""
        if not self.visits:
            return "every visit"
        *first, last = self.visits
        return (f"{', '.join(first)} and {last}" if first else last) + " only"


@dataclass(frozen=True)
class _Rule:
    id: str
    role: Role
    text: str

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        _token(self.id, "rule id", "id")
        object.__setattr__(self, "role", Role(self.role))


@dataclass(frozen=True)
class GradeRule(_Rule):
    """``grade_in``: the grade of ``items`` at ``levels`` is one of ``values`` (any/all)."""

    items: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    match: Match = Match.ANY

    kind: ClassVar[str] = "grade_in"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "match", Match(self.match))
        for name in ("items", "levels", "values"):
            if not getattr(self, name):
                raise ProtocolError(f"rule {self.id!r} needs {name}", key=name)


COMPARISONS = {
    "measure_at_least": ">=",
    "measure_above": ">",
    "measure_at_most": "<=",
    "measure_below": "<",
}


@dataclass(frozen=True)
class MeasureRule(_Rule):
    """``measure_at_least`` and friends: ``measure`` at ``levels`` compared with ``threshold``.

    ``measure`` is a name of the measure registry (:data:`imaging.measures.MEASURES`); ``unit``,
    when given, must be that measure's unit (left out, it is the measure's unit).
    """

    measure: str = ""
    levels: tuple[str, ...] = ()
    comparison: str = ">="
    threshold: float = 0.0
    unit: str = ""
    match: Match = Match.ANY

    kind: ClassVar[str] = "measure"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "match", Match(self.match))
        if self.comparison not in COMPARISONS.values():
            raise ProtocolError(f"rule {self.id!r}: unknown comparison {self.comparison!r}")
        if not self.measure or not self.levels:
            raise ProtocolError(f"rule {self.id!r} needs a measure and levels", key="measure")
        known = MEASURES.get(self.measure)
        if known is None:
            raise ProtocolError(
                f"rule {self.id!r}: {unknown_measure(self.measure)}",
                key="measure",
                fix=known_measures_text(),
            )
        if self.unit and self.unit != known.unit:
            raise ProtocolError(
                f"rule {self.id!r}: unit {self.unit!r} is not the unit of {self.measure}, "
                f"which is {known.unit!r}",
                key="unit",
                fix=f'Write unit = "{known.unit}" or leave unit out.',
            )
        object.__setattr__(self, "unit", known.unit)

    def holds(self, value: float) -> bool:
        return {
            ">=": value >= self.threshold,
            ">": value > self.threshold,
            "<=": value <= self.threshold,
            "<": value < self.threshold,
        }[self.comparison]


@dataclass(frozen=True)
class InstabilityRule(_Rule):
    """``instability``: at any of ``levels``, translation ROM > ``translation_mm`` or angular
    ROM > ``angle_deg`` on the flexion/extension films (measures ``translation_rom``,
    ``angular_rom``)."""

    levels: tuple[str, ...] = ()
    translation_mm: float = 0.0
    angle_deg: float = 0.0
    """No default: a trial's limits are stated in its protocol file (0 is refused below)."""

    kind: ClassVar[str] = "instability"
    translation_measure: ClassVar[str] = measure("translation_rom").name
    angle_measure: ClassVar[str] = measure("angular_rom").name

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.levels:
            raise ProtocolError(f"rule {self.id!r} needs levels", key="levels")
        if self.translation_mm <= 0 or self.angle_deg <= 0:
            raise ProtocolError(
                f"rule {self.id!r}: instability thresholds must be positive", key="translation_mm"
            )


@dataclass(frozen=True)
class FindingRule(_Rule):
    """``finding``: a finding the reader records (scale ``finding``: ``yes``, ``no``,
    ``not_assessable``) for ``items`` at ``levels``. The condition holds when the finding is
    ``yes`` (at any one, or with ``match = "all"`` at all of them) and does not hold when it is
    ``no``; any other code, or no record, leaves the rule undecided."""

    items: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    match: Match = Match.ANY

    kind: ClassVar[str] = "finding"
    present: ClassVar[str] = "yes"
    absent: ClassVar[str] = "no"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "match", Match(self.match))
        for name in ("items", "levels"):
            if not getattr(self, name):
                raise ProtocolError(f"rule {self.id!r} needs {name}", key=name)


@dataclass(frozen=True)
class AnyOfRule(_Rule):
    """``any_of``: the condition holds when any of the sub-rules' conditions holds."""

    rules: tuple[GradeRule | MeasureRule | InstabilityRule | FindingRule | RigidityRule, ...] = ()

    kind: ClassVar[str] = "any_of"

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.rules) < 2:
            raise ProtocolError(f"rule {self.id!r}: any_of needs two or more rules", key="rules")


@dataclass(frozen=True)
class RigidityRule(_Rule):
    """``complete_rigidity``: complete spinal rigidity. The condition holds when every scorable
    corner of the protocol's ``[msasss]`` segments is scored one of ``bridged`` (mSASSS 3), each
    segment scorable under its missing-corner rule, and the reader confirms it (``confirmation``,
    a finding at :data:`CASE_SITE`: ``yes``); it does not hold when a corner is scored below and
    the reader says ``no``. Scores and confirmation disagreeing, or either not recorded, leave
    it undecided. ``items`` and ``levels`` (the score item and the confirmation; the corners and
    :data:`CASE_SITE`) are what the rule reads."""

    items: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    bridged: tuple[str, ...] = ()
    confirmation: str = ""

    kind: ClassVar[str] = "complete_rigidity"
    present: ClassVar[str] = "yes"
    absent: ClassVar[str] = "no"

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("bridged", "confirmation"):
            if not getattr(self, name):
                raise ProtocolError(f"rule {self.id!r} needs {name}", key=name)


Rule = GradeRule | MeasureRule | InstabilityRule | FindingRule | RigidityRule | AnyOfRule


@dataclass(frozen=True)
class ReferenceDiscs:
    """What makes a disc a normal reference for height loss (``[measurement.reference_discs]``).

    ``item``: the grading item that decides, graded at the same visit by the same read (e.g.
    ``pfirrmann``); ``normal``: its codes counted as normal (e.g. 1 and 2). Empty ``item``:
    every measured disc is a reference. ``lumbosacral``: whether L5-S1 may serve as one.
    A disc that is not normal (or not graded) is skipped: the next normal disc in the same
    direction is used, then the other side alone, else the loss is not evaluable.
    """

    item: str = ""
    normal: tuple[str, ...] = ()
    lumbosacral: bool = True


@dataclass(frozen=True)
class Protocol:
    """A trial's imaging protocol; consistent once constructed.

    ``anchor`` names day 0: ``treatment`` (the treatment date when known; otherwise the subject's
    baseline study is taken to be at the baseline visit's nominal day). ``blinded_reading`` hides
    visit names and dates from readers' worklists.

    ``baseline_to_treatment_days`` (shortest, longest): how long before day 0 the baseline study
    is done. Without a treatment date a study is then placed only to within that range, and
    assigned only when every day of the range falls in one visit's window
    (:func:`imaging.protocol.visits.assign_visit`). None: the baseline study is day
    ``baseline.day``.
    """

    id: str
    name: str
    visits: tuple[Visit, ...]
    levels: tuple[str, ...]
    items: tuple[GradingItem, ...]
    baseline_visit: str
    target_level: str | None = None
    registration: str = ""
    description: str = ""
    thresholds: tuple[tuple[str, float], ...] = ()
    height_loss_references: tuple[tuple[str, tuple[str, ...]], ...] = ()
    reference_discs: ReferenceDiscs = field(default_factory=ReferenceDiscs)
    loss_height: str = "disc_height_mean"
    """The disc height the height-loss rule compares (a disc height of the measure registry)."""
    accepted_magnification: float | None = None
    """A radiographic magnification factor the protocol accepts for films whose spacing is not
    corrected for it (``detector``, ``unknown``); None: their millimetres decide nothing."""
    eligibility_visit: str = ""
    rules: tuple[Rule, ...] = ()
    blinded_reading: bool = True
    require_deidentified: bool = False
    """``register`` and ``batch`` refuse images that still identify their patient
    (:func:`imaging.dicom.trial.identifying_attributes`), naming the file and the attributes."""
    dicom_protocol_ids: tuple[str, ...] = ()
    """The (0012,0020) *Clinical Trial Protocol ID* values this trial's images carry; ``register``
    and ``batch`` refuse an image carrying another
    (:func:`imaging.dicom.trial.other_trial_problem`). Empty: any image is accepted."""
    baseline_to_treatment_days: tuple[int, int] | None = None
    agreement: AgreementSettings = field(default_factory=AgreementSettings)
    """Pre-specified reader agreement statistics (``[agreement]``)."""
    reading_design: ReadingDesign = field(default_factory=ReadingDesign)
    """Reads per case, adjudication triggers and intra-reader repeats (``[reading]``)."""
    show_own_baseline: bool = False
    """``[reading] show_own_baseline``: a reader reading a follow-up case may see their own
    baseline read of the subject beside it (reads unblinded to time order). Default: never."""
    visit_schedule: str = "protocol"
    """Whose visit schedule this is: ``protocol`` (the trial's) or ``core_lab`` (the core lab's,
    until the sponsor gives one)."""
    msasss: MsasssSettings | None = None
    """How corner scores make the mSASSS endpoint (``[msasss]``), or None."""
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _token(self.id, "protocol id", "id")
        self._check_baseline_to_treatment()
        if not self.visits:
            raise ProtocolError("a protocol needs at least one visit", key="visits")
        ids = [v.id for v in self.visits]
        named: dict[str, tuple[str, str]] = {}
        for index, visit in enumerate(self.visits):
            if visit.id in ids[:index]:
                raise ProtocolError(
                    f"visit id {visit.id!r} is used twice", key=f"visits[{index}].id"
                )
            spellings = [("id", visit.id)] + [("time_point_ids", t) for t in visit.time_point_ids]
            for key, spelling in spellings:
                other, written = named.setdefault(visit_name_key(spelling), (visit.id, spelling))
                if other != visit.id:
                    raise ProtocolError(
                        f"visit {visit.id!r}: {spelling!r} names visit {other!r} too (as "
                        f"{written!r}; case, spaces, '_' and '-' are ignored in visit names)",
                        key=f"visits[{index}].{key}",
                        fix="Give each name to one visit only.",
                    )
        self._check_level_list(self.levels, "reading.levels")
        if self.target_level is not None and self.target_level not in self.levels:
            raise ProtocolError(
                f"target level {self.target_level!r} is not among the levels read", key="target"
            )
        names = [i.name for i in self.items]
        for index, item in enumerate(self.items):
            if item.name in names[:index]:
                raise ProtocolError(
                    f"item {item.name!r} is declared twice", key=f"items[{index}].name"
                )
            self._check_level_list(item.levels, f"items[{index}].levels", (CASE_SITE,))
            unknown_visits = [v for v in item.visits if v not in [x.id for x in self.visits]]
            if unknown_visits:
                raise ProtocolError(
                    f"item {item.name!r}: visits {unknown_visits} are not visits of the protocol",
                    key=f"items[{index}].visits",
                    fix=f"Visits: {', '.join(x.id for x in self.visits)}.",
                )
        if not self.eligibility_visit:
            object.__setattr__(self, "eligibility_visit", self.baseline_visit)
        for key, visit_id in (
            ("baseline_visit", self.baseline_visit),
            ("eligibility.visit", self.eligibility_visit),
        ):
            if visit_id not in ids:
                raise ProtocolError(
                    f"{key} {visit_id!r} is not a visit",
                    key=key,
                    fix=f"Visits: {', '.join(ids)}.",
                )
        for level, references in self.height_loss_references:
            self._check_level_list((level, *references), "measurement.height_loss_references")
        self._check_measurement()
        if self.visit_schedule not in VISIT_SCHEDULES:
            raise ProtocolError(
                f"visit_schedule must be one of {', '.join(VISIT_SCHEDULES)}, got "
                f"{self.visit_schedule!r}",
                key="visit_schedule",
                fix='Write "core_lab" while the sponsor has given no schedule.',
            )
        if self.msasss is not None:
            self.msasss.check(self)
        rule_ids = [r.id for r in self.rules]
        for index, rule in enumerate(self.rules):
            key = f"eligibility.rules[{index}]"
            if rule.id in rule_ids[:index]:
                raise ProtocolError(f"rule id {rule.id!r} is used twice", key=f"{key}.id")
            for part in rule.rules if isinstance(rule, AnyOfRule) else (rule,):
                self._check_rule(part, key)

    def _check_baseline_to_treatment(self) -> None:
        """The interval is 0 or more days, shortest first, and puts the baseline study inside
        the baseline visit's window."""
        if self.baseline_to_treatment_days is None:
            return
        shortest, longest = self.baseline_to_treatment_days
        key = "baseline_to_treatment_days"
        if not 0 <= shortest <= longest:
            raise ProtocolError(
                f"{key} must be [shortest, longest] days with 0 <= shortest <= longest, got "
                f"[{shortest}, {longest}]",
                key=key,
            )
        baseline = next((v for v in self.visits if v.id == self.baseline_visit), None)
        if baseline is not None and not (
            baseline.in_window(-longest) and baseline.in_window(-shortest)
        ):
            raise ProtocolError(
                f"{key} [{shortest}, {longest}] puts the baseline study at day {-longest} to "
                f"{-shortest}, outside the {baseline.id} window ({baseline.window_text()})",
                key=key,
                fix="Widen the baseline window or correct the interval (day 0 is the treatment).",
            )

    def _check_measurement(self) -> None:
        if self.loss_height not in MEASURES:
            raise ProtocolError(
                unknown_measure(self.loss_height), key="measurement.loss_height",
                fix=known_measures_text(),
            )  # fmt: skip
        height = MEASURES[self.loss_height]
        if height.kind is not MeasureKind.DISC or height.unit != "mm":
            raise ProtocolError(
                f"loss_height {self.loss_height!r} is not a disc height in mm",
                key="measurement.loss_height",
                fix="Name one of disc_height_mean, disc_height_middle, disc_height_mean_bisector.",
            )
        discs = self.reference_discs
        if discs.item:
            try:
                scale = self.item(discs.item).scale
            except ProtocolError:
                raise ProtocolError(
                    f"reference_discs.item {discs.item!r} is not a grading item of the protocol",
                    key="measurement.reference_discs.item",
                ) from None
            wrong = [code for code in discs.normal if code not in scale.codes]
            if wrong or not discs.normal:
                raise ProtocolError(
                    f"reference_discs.normal {list(discs.normal)} are not grades of {scale.name}",
                    key="measurement.reference_discs.normal",
                    fix=f"Grades: {scale.valid_text()}.",
                )
        factor = self.accepted_magnification
        if factor is not None and not (math.isfinite(factor) and 1.0 <= factor <= 2.0):
            raise ProtocolError(
                f"accepted_magnification must be between 1 and 2, got {factor!r}",
                key="measurement.accepted_magnification",
                fix="Lateral lumbar films magnify by about 1.1-1.25.",
            )

    def _check_level_list(
        self, levels: tuple[str, ...], key: str, also: tuple[str, ...] = ()
    ) -> None:
        for level in levels:
            if level != normalise_level(level):
                raise ProtocolError(f"level {level!r} is not normalised", key=key)
        if key != "reading.levels":
            unknown = [lv for lv in levels if lv not in self.levels and lv not in also]
            if unknown:
                raise ProtocolError(
                    f"levels {unknown} are not among the levels read ({', '.join(self.levels)})",
                    key=key,
                )
        elif len(set(levels)) != len(levels) or not levels:
            raise ProtocolError("levels must be listed once each, at least one", key=key)

    def _check_rule(self, rule: Rule, key: str) -> None:
        if isinstance(rule, AnyOfRule):
            raise ProtocolError(f"rule {rule.id!r}: any_of rules cannot nest", key=key)
        self._check_level_list(rule.levels, key, self.sites)
        if isinstance(rule, GradeRule | FindingRule | RigidityRule):
            for name in rule.items:
                item = self.item(name)
                if not item.read_at_visit(self.eligibility_visit):
                    raise ProtocolError(
                        f"rule {rule.id!r}: item {name!r} is read at {item.visits_text()}, not "
                        f"at the eligibility visit {self.eligibility_visit!r}",
                        key=f"{key}.items",
                    )
        if isinstance(rule, RigidityRule):
            self._check_rigidity(rule, key)
        if isinstance(rule, FindingRule):
            for name in rule.items:
                item = self.item(name)
                lacking = [c for c in (rule.present, rule.absent) if c not in item.scale.codes]
                if lacking:
                    raise ProtocolError(
                        f"rule {rule.id!r}: item {name!r} is graded on {item.scale.name}, which "
                        f"has no grade {' or '.join(map(repr, lacking))}",
                        key=f"{key}.items",
                        fix='A finding rule reads items on a yes/no scale (scale "finding").',
                    )
                outside = [lv for lv in rule.levels if lv not in item.levels]
                if outside:
                    raise ProtocolError(
                        f"rule {rule.id!r}: item {name!r} is not read at {outside}",
                        key=f"{key}.levels",
                    )
        if isinstance(rule, GradeRule):
            for name in rule.items:
                item = self.item(name)
                bad = [v for v in rule.values if v not in item.scale.codes]
                if bad:
                    raise ProtocolError(
                        f"rule {rule.id!r}: {bad} are not grades of {item.scale.name} "
                        f"(item {name!r}); valid: {item.scale.valid_text()}",
                        key=f"{key}.values",
                    )
                outside = [lv for lv in rule.levels if lv not in item.levels]
                if outside:
                    raise ProtocolError(
                        f"rule {rule.id!r}: item {name!r} is not read at {outside}",
                        key=f"{key}.levels",
                    )

    def _check_rigidity(self, rule: RigidityRule, key: str) -> None:
        """The rule needs ``[msasss]``; ``bridged`` are its grades; the confirmation is a
        finding read once per case at the eligibility visit."""
        if self.msasss is None:
            raise ProtocolError(
                f"rule {rule.id!r}: complete_rigidity reads the corner scores of [msasss], "
                "which the protocol does not have",
                key=key,
                fix="Add an [msasss] table (docs/protocol-format.md).",
            )
        scale = self.item(self.msasss.item).scale
        wrong = [code for code in rule.bridged if code not in scale.codes]
        if wrong:
            raise ProtocolError(
                f"rule {rule.id!r}: bridged {wrong} are not grades of {scale.name}",
                key=f"{key}.bridged",
                fix=f"Grades: {scale.valid_text()}.",
            )
        confirmation = self.item(rule.confirmation)
        lacking = [c for c in (rule.present, rule.absent) if c not in confirmation.scale.codes]
        if lacking or CASE_SITE not in confirmation.levels:
            raise ProtocolError(
                f"rule {rule.id!r}: confirmation {confirmation.name!r} must be a finding "
                f"(yes / no) read at {CASE_SITE!r}",
                key=f"{key}.confirmation",
                fix=f'Declare it with scale "finding" and levels = ["{CASE_SITE}"].',
            )

    # --- look-ups ------------------------------------------------------------------------------
    def visit(self, name: str) -> Visit:
        """The visit named by its id or one of its time point ids (:func:`visit_name_key`), or
        ValueError saying it is none of the protocol's visits."""
        found = self.visit_id(name)
        if found is None:
            raise ValueError(self.not_a_visit(name))
        return self.visits[self.visit_index(found)]

    def visit_id(self, name: object) -> str | None:
        """The visit id a visit name stands for (``"Month 6"``, ``"M6"`` -> ``"month_6"``);
        None when it names no visit: the caller reports :meth:`not_a_visit` with its file and
        line."""
        return next((v.id for v in self.visits if v.matches(name)), None)

    def not_a_visit(self, name: object) -> str:
        """Why ``name`` is refused as a visit, listing the protocol's visits."""
        return f"{name!r} is not a visit of protocol {self.id}; visits: " + ", ".join(
            v.id for v in self.visits
        )

    @property
    def baseline(self) -> Visit:
        return self.visit(self.baseline_visit)

    def visit_index(self, visit_id: str) -> int:
        return [v.id for v in self.visits].index(visit_id)

    def item(self, name: str) -> GradingItem:
        for item in self.items:
            if item.name == name:
                return item
        raise ProtocolError(
            f"{name!r} is not a grading item of protocol {self.id}; items: "
            + ", ".join(i.name for i in self.items),
            key="items",
        )

    def score(self, item: str, code: str) -> float | None:
        """A grade's number on its ordered scale (Pfirrmann 3 -> 3.0), None on nominal scales
        (Modic); raises for an item or code the protocol does not know."""
        score = self.item(item).scale.grade(code).score
        return None if score is None else float(score)

    def level(self, text: str) -> str:
        """The read level (or :data:`CASE_SITE` when an item is read there) written ``text``
        (``L4-5`` -> ``L4-L5``), or ValueError."""
        level = normalise_level(text)
        for known in self.sites:
            if known.upper() == level.upper():
                return known
        raise ValueError(
            f"{text!r} is not a level read in protocol {self.id}; levels: {', '.join(self.sites)}"
        )

    @property
    def sites(self) -> tuple[str, ...]:
        """Where grades are given: the levels read, then :data:`CASE_SITE` when an item is read
        there (once per case)."""
        case = any(CASE_SITE in item.levels for item in self.items)
        return (*self.levels, CASE_SITE) if case and CASE_SITE not in self.levels else self.levels

    def items_at_visit(self, visit: str) -> tuple[GradingItem, ...]:
        """The items read at ``visit`` (a visit id), in protocol order."""
        return tuple(item for item in self.items if item.read_at_visit(visit))

    def grade_refusal(self, item_name: str, level: str, visit: str) -> str | None:
        """Why ``item_name`` cannot be graded at ``level`` at ``visit`` (a visit id), or None."""
        item = self.item(item_name)
        if level not in item.levels:
            return f"{item_name} is not read at {level} in protocol {self.id}"
        if not item.read_at_visit(visit):
            return (
                f"{item_name} is read at {item.visits_text()} in protocol {self.id}, not at {visit}"
            )
        return None

    def level_index(self, level: str) -> int:
        return self.levels.index(level) if level in self.levels else len(self.levels)

    @property
    def scales(self) -> tuple[Scale, ...]:
        seen: dict[str, Scale] = {}
        for item in self.items:
            seen.setdefault(item.scale.id, item.scale)
        return tuple(seen.values())

    def threshold(self, name: str) -> float:
        for key, value in self.thresholds:
            if key == name:
                return value
        raise KeyError(name)
