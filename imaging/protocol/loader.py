"""Load a protocol TOML file into a :class:`~imaging.protocol.model.Protocol`.

Every error names the file, the line and the key path, and says how to fix it. The format is
documented in ``docs/protocol-format.md``; built-in protocols live in
``imaging/protocol/protocols/``.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from imaging.errors import ProtocolError
from imaging.protocol._toml import Table, TomlSource, located
from imaging.protocol.agreement import agreement_settings
from imaging.protocol.model import (
    CASE_SITE,
    COMPARISONS,
    AnyOfRule,
    FindingRule,
    GradeRule,
    GradingItem,
    InstabilityRule,
    Match,
    MeasureRule,
    Protocol,
    ReferenceDiscs,
    RigidityRule,
    Role,
    Rule,
    Visit,
    normalise_level,
)
from imaging.protocol.msasss import MsasssSettings, msasss_settings
from imaging.protocol.reading_design import reading_design
from imaging.protocol.scales import Scale, load_scale

BUILTIN_PROTOCOLS = Path(__file__).parent / "protocols"
DEFAULT_PROTOCOL = BUILTIN_PROTOCOLS / "dlbp-chictr2200058291.toml"
RULE_KINDS = (
    "grade_in", *COMPARISONS, "instability", "finding", RigidityRule.kind, "any_of"
)  # fmt: skip


def builtin_protocols() -> dict[str, Path]:
    """Built-in protocol files by name (file stem)."""
    return {p.stem: p for p in sorted(BUILTIN_PROTOCOLS.glob("*.toml"))}


def load_protocol(path: str | Path | None = None) -> Protocol:
    """Load a protocol file; ``None`` gives the default (the DLBP trial, ChiCTR2200058291).

    A bare name such as ``"as-ucmsc"`` selects a built-in protocol.
    """
    if path is None:
        path = DEFAULT_PROTOCOL
    path = Path(path)
    if not path.exists() and path.suffix != ".toml" and path.name in builtin_protocols():
        path = builtin_protocols()[path.name]
    return protocol_from_toml(TomlSource.read(path, "protocol"))


def protocol_from_toml(source: TomlSource) -> Protocol:
    root = source.root()
    visits = tuple(located(t, partial(_visit, t)) for t in root.tables("visits"))
    reading = root.table("reading")
    levels = _levels(reading, "levels", ())
    target = reading.text("target", None)
    if target is not None:
        target = normalise_level(target)
        if target not in levels:
            raise reading.error("target", f"target level {target!r} is not in levels")

    scales = _scales(root.table("scales"), source.path.parent)
    items = tuple(located(t, partial(_item, t, scales, levels)) for t in root.tables("items", []))
    design = reading_design(
        reading, items, lambda table, name: _levels(table, name, levels, target)
    )
    show_own_baseline = reading.flag("show_own_baseline", False)
    if show_own_baseline and len(visits) < 2:
        raise reading.error(
            "show_own_baseline",
            f"show_own_baseline = true needs a follow-up visit, but the protocol has "
            f"{len(visits)} visit(s)",
            "Add the follow-up [[visits]], or remove show_own_baseline.",
        )
    reading.done()

    thresholds: dict[str, float] = {}
    table = root.table("thresholds", None)
    if table is not None:
        for name, _ in list(table.items()):
            thresholds[name] = table.number(name)

    references: list[tuple[str, tuple[str, ...]]] = []
    settings: dict[str, Any] = {}
    measurement = root.table("measurement", None)
    if measurement is not None:
        refs = measurement.table("height_loss_references", None)
        if refs is not None:
            for level_text, _ in list(refs.items()):
                level = _one_level(refs, level_text, level_text, levels)
                references.append((level, _levels(refs, level_text, levels)))
        settings["loss_height"] = measurement.text("loss_height", "disc_height_mean")
        settings["accepted_magnification"] = measurement.number("accepted_magnification", None)
        discs = measurement.table("reference_discs", None)
        if discs is not None:
            settings["reference_discs"] = ReferenceDiscs(
                item=discs.text("item"),
                normal=tuple(str(code) for code in discs.array("normal")),
                lumbosacral=discs.flag("lumbosacral", True),
            )
            discs.done()
        measurement.done()

    msasss_table = root.table("msasss", None)
    msasss = located(msasss_table, partial(msasss_settings, msasss_table)) if msasss_table else None
    eligibility = root.table("eligibility", None)
    rules: list[Rule] = []
    eligibility_visit = ""
    if eligibility is not None:
        eligibility_visit = eligibility.text("visit", "")
        context = _RuleContext(levels, target, items, thresholds, msasss)
        for rule_table in eligibility.tables("rules", []):
            rules.append(located(rule_table, partial(_rule, rule_table, context, None)))
        eligibility.done()
    agreement = agreement_settings(root.table("agreement", None), scales)

    def build() -> Protocol:
        protocol = Protocol(
            id=root.text("id"),
            name=root.text("name"),
            registration=root.text("registration", ""),
            description=root.text("description", ""),
            blinded_reading=root.flag("blinded_reading", True),
            require_deidentified=root.flag("require_deidentified", False),
            dicom_protocol_ids=_dicom_protocol_ids(root),
            baseline_to_treatment_days=_baseline_to_treatment(root),
            baseline_visit=root.text("baseline_visit", visits[0].id if visits else ""),
            visits=visits,
            levels=levels,
            target_level=target,
            items=items,
            thresholds=tuple(thresholds.items()),
            height_loss_references=tuple(references),
            **settings,
            eligibility_visit=eligibility_visit,
            rules=tuple(rules),
            agreement=agreement,
            reading_design=design,
            show_own_baseline=show_own_baseline,
            visit_schedule=root.text("visit_schedule", "protocol"),
            msasss=msasss,
            source=str(source.path),
        )
        root.done()
        return protocol

    return located(root, build)


def _visit(table: Table) -> Visit:
    visit_id = table.text("id")
    visit = Visit(
        id=visit_id,
        label=table.text("label", "") or visit_id,
        day=table.whole("day"),
        window_before=table.whole("window_before", 0),
        window_after=table.whole("window_after", 0),
        time_point_ids=tuple(table.texts("time_point_ids", [])),
    )
    table.done()
    return visit


def _baseline_to_treatment(root: Table) -> tuple[int, int] | None:
    """``baseline_to_treatment_days``: a whole number of days, or [shortest, longest]."""
    name = "baseline_to_treatment_days"
    raw = root.raw(name)
    if raw is None:
        return None
    days = raw if isinstance(raw, list) else [raw]
    if len(days) not in (1, 2) or any(isinstance(d, bool) or not isinstance(d, int) for d in days):
        raise root.error(
            name,
            f"{name} must be a whole number of days or [shortest, longest], got {raw!r}",
            f"Write e.g. {name} = [21, 42].",
        )
    return (days[0], days[-1])


def _dicom_protocol_ids(root: Table) -> tuple[str, ...]:
    """``dicom_protocol_ids``: (0012,0020) values, each a DICOM LO value (1-64 characters, no
    backslash: PS3.5 6.2)."""
    name = "dicom_protocol_ids"
    ids = root.texts(name, None)
    if ids is None:
        return ()
    for index, value in enumerate(ids):
        if not value or len(value) > 64 or "\\" in value:
            raise root.error(
                f"{name}[{index}]",
                f"{name} item {index} ({value!r}) is not a (0012,0020) Clinical Trial Protocol "
                "ID: 1 to 64 characters, no backslash",
                "Write the value the trial's images carry, e.g. "
                'dicom_protocol_ids = ["ChiCTR2200058291"].',
            )
    if not ids:
        raise root.error(
            name,
            f"{name} lists no id: it would refuse no image",
            "List the (0012,0020) values the trial's images carry, or leave the key out.",
        )
    return tuple(ids)


def _one_level(
    table: Table, key: str, text: str, known: tuple[str, ...], also: tuple[str, ...] = ()
) -> str:
    level = normalise_level(text)
    if known and level not in known and level not in also:
        extra = f"; or {', '.join(repr(a) for a in also)} (once per case)" if also else ""
        raise table.error(
            key,
            f"level {text!r} is not among the levels read",
            f"Levels read: {', '.join(known)} (set in [reading] levels){extra}.",
        )
    return level


def _levels(
    table: Table,
    name: str,
    known: tuple[str, ...],
    target: str | None = None,
    also: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """A list of levels, or the words ``"all"`` (every level read) and ``"target"``; ``also``
    names sites accepted in a list beside the levels read (:data:`CASE_SITE`)."""
    raw = table.raw(name)
    if raw is None:
        raise table.error(None, f"missing key '{name}'", f'Add {name} = ["L4-L5", ...].')
    if isinstance(raw, str):
        if raw == "all" and known:
            return known
        if raw == "target" and known:
            if target is None:
                raise table.error(name, 'levels = "target" but [reading] has no target')
            return (target,)
        raw = [raw]
    texts = table.texts(name)
    levels = tuple(_one_level(table, name, t, known, also) for t in texts)
    if len(set(levels)) != len(levels):
        raise table.error(name, f"{name} lists a level twice: {list(texts)}")
    if not levels:
        raise table.error(name, f"{name} is empty")
    return levels


def _scales(table: Table, folder: Path) -> dict[str, Scale]:
    scales: dict[str, Scale] = {}
    for name, value in list(table.items()):
        if not isinstance(value, str):
            raise table.error(name, f"scale {name} must name a built-in scale or a .toml file")
        where: str | Path = value
        if value.endswith(".toml") or "/" in value:
            where = folder / value
        try:
            scales[name] = load_scale(where)
        except ProtocolError as error:
            if error.path is not None:
                raise
            raise table.error(name, error.reason, error.fix) from None
    if not scales:
        raise table.error(None, "[scales] is empty", 'Add e.g. pfirrmann = "pfirrmann".')
    return scales


def _item(table: Table, scales: dict[str, Scale], levels: tuple[str, ...]) -> GradingItem:
    scale_name = table.text("scale")
    if scale_name not in scales:
        raise table.error(
            "scale",
            f"scale {scale_name!r} is not declared in [scales]",
            f"Declared scales: {', '.join(scales)}.",
        )
    item_levels = (
        _levels(table, "levels", levels, also=(CASE_SITE,)) if table.has("levels") else levels
    )
    item = GradingItem(
        name=table.text("name"),
        scale=scales[scale_name],
        levels=item_levels,
        description=table.text("description", ""),
        visits=tuple(table.texts("visits", [])),
    )
    table.done()
    return item


class _RuleContext:
    def __init__(
        self,
        levels: tuple[str, ...],
        target: str | None,
        items: tuple[GradingItem, ...],
        thresholds: dict[str, float],
        msasss: MsasssSettings | None = None,
    ) -> None:
        self.msasss = msasss
        self.levels = levels
        self.target = target
        self.items = {i.name: i for i in items}
        self.thresholds = thresholds
        self.also = (CASE_SITE,) if any(CASE_SITE in i.levels for i in items) else ()

    def item_names(self, table: Table) -> list[str]:
        """The rule's ``items``, each declared in [[items]]."""
        names = table.texts("items")
        for index, name in enumerate(names):
            if name not in self.items:
                raise table.source.error(
                    (*table.key, "items", index),
                    f"item {name!r} is not declared in [[items]]",
                    f"Declared items: {', '.join(self.items)}.",
                )
        return names

    def number(self, table: Table, name: str, default: float | None = None) -> float:
        """A number, or the name of a [thresholds] entry."""
        raw = table.raw(name)
        if raw is None and default is not None:
            return default
        if isinstance(raw, str):
            if raw not in self.thresholds:
                raise table.error(
                    name,
                    f"{name} names threshold {raw!r}, which [thresholds] does not define",
                    f"Defined: {', '.join(self.thresholds) or 'none'}.",
                )
            return self.thresholds[raw]
        value = table.number(name)
        assert isinstance(value, float)
        return value


def _rule(table: Table, context: _RuleContext, parent_role: Role | None) -> Rule:
    kind = table.text("kind")
    if kind not in RULE_KINDS:
        raise table.error("kind", f"unknown rule kind {kind!r}", f"Kinds: {', '.join(RULE_KINDS)}.")
    rule_id = table.text("id")
    text = table.text("text", "")
    role_text = table.text("role", None if parent_role is None else parent_role.value)
    if role_text is None:
        raise table.error(None, f'rule {rule_id!r} needs role = "inclusion" or "exclusion"')
    try:
        role = Role(role_text)
    except ValueError:
        raise table.error(
            "role", f"role must be inclusion or exclusion, got {role_text!r}"
        ) from None
    if parent_role is not None and role is not parent_role:
        raise table.error("role", "a rule inside any_of takes the role of the any_of rule")
    rule: Rule
    if kind == "any_of":
        if parent_role is not None:
            raise table.error("kind", "any_of rules cannot nest")
        parts = tuple(located(t, partial(_rule, t, context, role)) for t in table.tables("rules"))
        rule = AnyOfRule(id=rule_id, role=role, text=text, rules=parts)  # type: ignore[arg-type]
    elif kind == "finding":
        names = context.item_names(table)
        if table.has("levels"):
            levels = _levels(table, "levels", context.levels, context.target, context.also)
        else:  # where the items are read
            levels = tuple(dict.fromkeys(lv for n in names for lv in context.items[n].levels))
        rule = FindingRule(
            id=rule_id, role=role, text=text, items=tuple(names), levels=levels,
            match=_match(table),
        )  # fmt: skip
    elif kind == RigidityRule.kind:
        rule = _rigidity_rule(table, context, rule_id, role, text)
    elif kind == "grade_in":
        names = context.item_names(table)
        levels = _levels(table, "levels", context.levels, context.target, context.also)
        values = []
        for index, value in enumerate(table.texts("values")):
            codes = set()
            for name in names:
                try:
                    codes.add(context.items[name].scale.grade(value).code)
                except ValueError as error:
                    raise table.source.error((*table.key, "values", index), str(error)) from None
            if len(codes) != 1:
                raise table.error("values", f"value {value!r} means different grades in {names}")
            values.append(codes.pop())
        rule = GradeRule(
            id=rule_id,
            role=role,
            text=text,
            items=tuple(names),
            levels=levels,
            values=tuple(dict.fromkeys(values)),
            match=_match(table),
        )
    elif kind in COMPARISONS:
        rule = MeasureRule(
            id=rule_id,
            role=role,
            text=text,
            measure=table.text("measure"),
            levels=_levels(table, "levels", context.levels, context.target),
            comparison=COMPARISONS[kind],
            threshold=context.number(table, "threshold"),
            unit=table.text("unit", ""),
            match=_match(table),
        )
    else:
        rule = InstabilityRule(
            id=rule_id,
            role=role,
            text=text,
            levels=_levels(table, "levels", context.levels, context.target),
            translation_mm=context.number(table, "translation_mm"),
            angle_deg=context.number(table, "angle_deg"),
        )
    table.done()
    return rule


def _rigidity_rule(
    table: Table, context: _RuleContext, rule_id: str, role: Role, text: str
) -> RigidityRule:
    """``complete_rigidity``: ``bridged`` grades of the [msasss] item, ``confirmation`` a
    finding item; the rule reads the corners of both segments and the case site."""
    if context.msasss is None:
        raise table.error(
            "kind",
            "a complete_rigidity rule reads the corner scores of [msasss], which this file "
            "does not have",
            "Add an [msasss] table (docs/protocol-format.md).",
        )
    confirmation = table.text("confirmation")
    if confirmation not in context.items:
        raise table.error(
            "confirmation",
            f"confirmation {confirmation!r} is not declared in [[items]]",
            f"Declared items: {', '.join(context.items)}.",
        )
    score_item = context.items.get(context.msasss.item)
    bridged = []
    for index, value in enumerate(table.texts("bridged")):
        if score_item is None:
            bridged.append(value)
            continue
        try:
            bridged.append(score_item.scale.grade(value).code)
        except ValueError as error:
            raise table.source.error((*table.key, "bridged", index), str(error)) from None
    return RigidityRule(
        id=rule_id, role=role, text=text,
        items=(context.msasss.item, confirmation),
        levels=(*context.msasss.sites, CASE_SITE),
        bridged=tuple(dict.fromkeys(bridged)), confirmation=confirmation,
    )  # fmt: skip


def _match(table: Table) -> Match:
    text = table.text("match", "any")
    try:
        return Match(text)
    except ValueError:
        raise table.error("match", f'match must be "any" or "all", got {text!r}') from None


__all__ = ["DEFAULT_PROTOCOL", "builtin_protocols", "load_protocol", "protocol_from_toml"]
