"""Two reads of a case -> adjudication triggers and the case's endpoint rows, with their origin.

Pure functions on endpoint rows (:func:`imaging.endpoints.endpoint_rows` made them; nothing here
computes a measure again):

- :func:`triggers`: what the protocol's ``[reading.adjudication]`` finds between two reads (each
  with the level, the item or film the adjudicator decides, and the reason in words); the
  eligibility verdicts come from :func:`imaging.protocol.eligibility.evaluate_subject` on each
  read alone;
- :func:`case_endpoint`: the rows that are the endpoint of a double-read case. Per row: the read
  the adjudicator took for its item (``adjudication``); a triggered item not decided yet is empty
  ("awaiting adjudication"); otherwise two values give their mean and two equal grades that grade
  (``agreeing reads``), a value only one read has is that read's (``single read``), and grades
  that differ under the triggers give no grade, with both in ``note`` (no silent choice).

An adjudicator decides a grade per (level, item) and the corners per film: taking a film takes
every row measured on it; flexion-extension rows follow the read taken for the dynamic films.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from imaging.anatomy import Film
from imaging.endpoints import GRADE_UNIT, PAIR_FILM, EndpointRow, endpoint_table
from imaging.endpoints.rows import ADJUDICATION, AGREEING_READS, SINGLE_READ
from imaging.protocol.eligibility import evaluate_subject, split_grades
from imaging.protocol.model import AnyOfRule, FindingRule, GradeRule, Protocol, RigidityRule

GRADE = "grade"
FILM = "film"
VERDICT = "eligibility verdict"
DecisionKey = tuple[str, str, str]
"""What an adjudicator decides: (``grade``, level, item) or (``film``, '', film name)."""
DYNAMIC_FILMS = (Film.FLEXION.value, Film.EXTENSION.value)


@dataclass(frozen=True)
class ReadRows:
    """One read of a case: the reader and its endpoint rows (grades and measures)."""

    reader: str
    rows: Sequence[EndpointRow]
    version: int | None = None


@dataclass(frozen=True)
class Trigger:
    """One reason to adjudicate; ``decides`` the items it asks the adjudicator to decide."""

    kind: str
    reason: str
    decides: tuple[DecisionKey, ...] = ()


@dataclass(frozen=True)
class Choice:
    """The adjudicator took ``reader``'s read for an item, with the reason."""

    reader: str
    adjudicator: str
    reason: str


def grade_key(level: str, item: str) -> DecisionKey:
    return (GRADE, level, item)


def film_key(film: str) -> DecisionKey:
    return (FILM, "", film)


def decision_text(key: DecisionKey) -> str:
    """'L4-L5 pfirrmann' / 'neutral film'."""
    kind, level, item = key
    return f"{level} {item}" if kind == GRADE else f"{item} film"


def _keyed(rows: Iterable[EndpointRow]) -> dict[tuple[str, str, str], EndpointRow]:
    return {(r.level, r.measure, r.film): r for r in rows}


def _grade(rows: Mapping[tuple[str, str, str], EndpointRow], level: str, item: str) -> str:
    row = rows.get((level, item, ""))
    return row.grade if row is not None else ""


def _films_of(film: str) -> tuple[str, ...]:
    return DYNAMIC_FILMS if film == PAIR_FILM else (film,)


def triggers(protocol: Protocol, first: ReadRows, second: ReadRows) -> list[Trigger]:
    """Every adjudication trigger of ``protocol`` the two reads of one case set off."""
    design = protocol.reading_design
    a, b = _keyed(first.rows), _keyed(second.rows)
    visit = next((r.visit for r in (*first.rows, *second.rows)), "")
    names = f"{first.reader}: {{}}, {second.reader}: {{}}"
    found: list[Trigger] = []

    def grades_differ(kind: str, level: str, item: str, why: str) -> None:
        one, two = _grade(a, level, item), _grade(b, level, item)
        reason = f"{level} {why} ({names.format(one or 'not graded', two or 'not graded')})"
        found.append(Trigger(kind, reason, (grade_key(level, item),)))

    for rule in design.grades:
        for level in rule.levels:
            for item in rule.items:
                one, two = _grade(a, level, item), _grade(b, level, item)
                if one == two:
                    continue
                if rule.apart is not None and one and two:
                    codes = [g.code for g in protocol.item(item).scale.grades]
                    if abs(codes.index(one) - codes.index(two)) < rule.apart:
                        continue
                grades_differ(GRADE, level, item, rule.text(item))
    for measure in design.measures:
        for level in measure.levels:
            key = (level, measure.measure, measure.film)
            one_row, two_row = a.get(key), b.get(key)
            if one_row is None or two_row is None:
                continue
            x, y = one_row.value, two_row.value
            if x is None or y is None or abs(x - y) <= measure.more_than:
                continue
            reason = (
                f"{level} {measure.text()} on the {measure.film} film "
                f"({names.format(f'{x:.2f}', f'{y:.2f}')} {measure.unit})"
            )
            found.append(
                Trigger(measure.measure, reason, tuple(map(film_key, _films_of(measure.film))))
            )
    if visit == protocol.eligibility_visit:
        if design.eligibility_items:
            for level, item in eligibility_items(protocol):
                if _grade(a, level, item) != _grade(b, level, item):
                    grades_differ("eligibility item", level, item, f"{item} graded differently")
        if design.eligibility_verdict and protocol.rules:
            one_verdict, two_verdict = (_verdict(protocol, r) for r in (first, second))
            if one_verdict != two_verdict:
                found.append(
                    Trigger(
                        VERDICT,
                        f"eligibility verdict differs ({names.format(one_verdict, two_verdict)})",
                    )
                )
    unique: dict[str, Trigger] = {}
    for trigger in found:
        unique.setdefault(trigger.reason, trigger)
    return list(unique.values())


def eligibility_items(protocol: Protocol) -> list[tuple[str, str]]:
    """(level, item) of every grade an eligibility rule reads, in rule order."""
    pairs: dict[tuple[str, str], None] = {}
    for rule in protocol.rules:
        for part in rule.rules if isinstance(rule, AnyOfRule) else (rule,):
            if isinstance(part, GradeRule | FindingRule | RigidityRule):
                for level in part.levels:
                    for item in part.items:
                        if protocol.grade_refusal(item, level, protocol.eligibility_visit) is None:
                            pairs[(level, item)] = None
    return list(pairs)


def _verdict(protocol: Protocol, read: ReadRows) -> str:
    """The subject verdict this read alone gives (``eligible``, ``not eligible``, ``pending``)."""
    if not read.rows:
        return "pending"
    grades, measures = split_grades(endpoint_table(read.rows))
    result = evaluate_subject(protocol, read.rows[0].subject, grades, measures)
    return result.verdict.value


def case_endpoint(
    protocol: Protocol,
    first: ReadRows,
    second: ReadRows,
    fired: Sequence[Trigger] = (),
    choices: Mapping[DecisionKey, Choice] | None = None,
    third: ReadRows | None = None,
) -> list[EndpointRow]:
    """The endpoint rows of a case read twice (see the module docstring). ``choices`` (when the
    adjudication is submitted) name the read taken per item: ``first``'s, ``second``'s or
    ``third``'s (the adjudicator's own read)."""
    choices = choices or {}
    reads = {r.reader: r for r in (first, second, third) if r is not None}
    keyed = {reader: _keyed(read.rows) for reader, read in reads.items()}
    pending: dict[DecisionKey, list[str]] = {}
    for trigger in fired:
        for key in trigger.decides:
            if key not in choices:
                pending.setdefault(key, []).append(trigger.reason)
    a, b = keyed[first.reader], keyed[second.reader]
    rows: list[EndpointRow] = []
    for key in dict.fromkeys([*a, *b]):
        one, two = a.get(key), b.get(key)
        row = one if one is not None else two
        assert row is not None
        decides = _decides(row)
        chosen = {choices[k] for k in decides if k in choices}
        waiting = [reason for k in decides for reason in pending.get(k, [])]
        if len(chosen) > 1:
            rows.append(
                _empty(
                    row,
                    "the flexion and extension films were taken from different reads: ROM "
                    "needs both from one read",
                )
            )
        elif chosen:
            rows.append(_taken(row, key, chosen.pop(), keyed, reads))
        elif waiting:
            rows.append(_empty(row, "awaiting adjudication: " + "; ".join(dict.fromkeys(waiting))))
        elif one is None or two is None:
            rows.append(row.but(origin=SINGLE_READ))
        else:
            rows.append(_combined(one, two))
    return rows


def _decides(row: EndpointRow) -> tuple[DecisionKey, ...]:
    if row.unit == GRADE_UNIT:
        return (grade_key(row.level, row.measure),)
    return tuple(map(film_key, _films_of(row.film)))


def _empty(row: EndpointRow, why: str) -> EndpointRow:
    return row.but(
        value=None, grade="", origin="", reader="", read_version=None, note=why,
    )  # fmt: skip


def _taken(
    row: EndpointRow,
    key: tuple[str, str, str],
    choice: Choice,
    keyed: Mapping[str, Mapping[tuple[str, str, str], EndpointRow]],
    reads: Mapping[str, ReadRows],
) -> EndpointRow:
    said = f"adjudicated by {choice.adjudicator}: {choice.reason}"
    taken = keyed.get(choice.reader, {}).get(key)
    if taken is None:
        return _empty(row, f"{said}; the read of {choice.reader} has no {row.measure} here")
    version = reads[choice.reader].version
    return taken.but(origin=ADJUDICATION, read_version=version).with_note(said)


def _joined(one: str, two: str) -> str:
    return one if one == two else "; ".join(t for t in (one, two) if t)


def _combined(one: EndpointRow, two: EndpointRow) -> EndpointRow:
    readers = f"{one.reader};{two.reader}"
    if one.unit == GRADE_UNIT:
        if one.grade == two.grade:
            return one.but(
                reader=readers, read_version=None, origin=AGREEING_READS,
                note=_joined(one.note, two.note),
            )  # fmt: skip
        return _empty(
            one,
            f"grades differ ({one.reader}: {one.grade or 'not graded'}, {two.reader}: "
            f"{two.grade or 'not graded'}) under the protocol's adjudication triggers: no "
            "grade is taken",
        )
    if one.value is None and two.value is None:
        return one.but(
            reader=readers, read_version=None, origin="", note=_joined(one.note, two.note)
        )
    if one.value is None or two.value is None:
        kept, other = (one, two) if one.value is not None else (two, one)
        why = other.note or "no value"
        return kept.but(origin=SINGLE_READ).with_note(f"{other.reader}: {why}")
    return one.but(
        value=(one.value + two.value) / 2, reader=readers, read_version=None,
        origin=AGREEING_READS, calibration=_joined(one.calibration, two.calibration),
        corners=_joined(one.corners, two.corners),
        reference_levels=_joined(one.reference_levels, two.reference_levels),
        source_image=_joined(one.source_image, two.source_image),
        note=_joined(one.note, two.note),
    )  # fmt: skip


@dataclass(frozen=True)
class Resolution:
    """What a double-read case's endpoint needs besides its rows: its two readers (first,
    second), the adjudicator's reader id when they made a third read, the triggers fired and
    the choices of its submitted adjudication."""

    readers: tuple[str, str]
    third: str
    fired: tuple[Trigger, ...]
    choices: Mapping[DecisionKey, Choice]


def resolve_study(
    protocol: Protocol, rows: Sequence[EndpointRow], resolution: Resolution | None
) -> list[EndpointRow]:
    """One study's rows of every reader -> its endpoint rows (``batch --store``): by
    :func:`case_endpoint` for a case read twice, else each read's rows as ``single read``."""
    if resolution is None:
        return [row.but(origin=SINGLE_READ) for row in rows]
    by_reader: dict[str, list[EndpointRow]] = {}
    for row in rows:
        by_reader.setdefault(row.reader, []).append(row)

    def read(reader: str) -> ReadRows:
        got = by_reader.get(reader, [])
        return ReadRows(reader, got, got[0].read_version if got else None)

    first, second = (read(r) for r in resolution.readers)
    third = read(resolution.third) if resolution.third else None
    return case_endpoint(protocol, first, second, resolution.fired, resolution.choices, third)


def single_reads(reads: Iterable[ReadRows]) -> list[EndpointRow]:
    """Rows of reads that are each the only read of their case (origin ``single read``)."""
    return [row.but(origin=SINGLE_READ) for read in reads for row in read.rows]


__all__ = [
    "FILM",
    "GRADE",
    "VERDICT",
    "Choice",
    "DecisionKey",
    "ReadRows",
    "Resolution",
    "Trigger",
    "case_endpoint",
    "decision_text",
    "eligibility_items",
    "film_key",
    "grade_key",
    "resolve_study",
    "single_reads",
    "triggers",
]
