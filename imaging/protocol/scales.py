"""Grading scales as data: Pfirrmann, Modic, or any scale a protocol declares in a TOML file.

A :class:`Scale` is a closed list of :class:`Grade` s, each with a canonical ``code`` (what is
stored and exported, e.g. ``"4"`` or ``"I/II"``), a label, accepted spellings (``aliases``), the
criteria text per feature, and for ordered scales a numeric ``score`` used for change from
baseline. An optional decision algorithm (:class:`DecisionStep`, "first yes sets the grade") is
kept with the scale so that readers see it next to the grades. A question may say which
criterion it asks about and which of the table's descriptions answer it "yes"; when every
question does, the scale checks that answering literally from each grade's row of the table
leads to that grade (the questions and the table cannot drift apart). Built-in scale files live
in ``imaging/protocol/scales/``; the format is documented in ``docs/protocol-format.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from pathlib import Path

from imaging.errors import ProtocolError
from imaging.protocol._toml import Table, TomlSource, located

BUILTIN_SCALES = Path(__file__).parent / "scales"


def _norm(text: str) -> str:
    return " ".join(text.strip().upper().split())


def value_text(value: object) -> str:
    """A grade as typed on a form: 4, 4.0 and "4" are all ``"4"``."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class Grade:
    """One grade of a scale. ``criteria`` are (feature, description) pairs in reading order."""

    code: str
    label: str
    score: float | None = None
    aliases: tuple[str, ...] = ()
    criteria: tuple[tuple[str, str], ...] = ()
    meaning: str = ""

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ProtocolError("a grade needs a non-empty code", key="code")
        if not self.label.strip():
            raise ProtocolError(f"grade {self.code!r} needs a label", key="label")
        if self.score is not None and not math.isfinite(self.score):
            raise ProtocolError(f"grade {self.code!r} has a non-finite score", key="score")

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.code, *self.aliases)


def _feature(name: str) -> str:
    """A criterion's name as grades keep it: ``nucleus_annulus_distinction`` ->
    ``nucleus annulus distinction``."""
    return " ".join(name.replace("_", " ").split())


@dataclass(frozen=True)
class DecisionStep:
    """A yes/no question; ``yes`` is a grade code, ``no`` a grade code or None (next question).

    ``criterion`` (a feature of the grades' criteria) and ``yes_when`` (the descriptions of that
    feature for which the literal answer is yes) say what the question asks of the table.
    """

    question: str
    yes: str
    no: str | None = None
    criterion: str = ""
    yes_when: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "criterion", _feature(self.criterion))
        if bool(self.criterion) != bool(self.yes_when):
            raise ProtocolError(
                f"decision question {self.question!r}: criterion and yes_when go together",
                key="yes_when" if self.criterion else "criterion",
                fix="Name the criterion the question asks about and the descriptions of it "
                "that answer yes, or neither.",
            )

    def answer(self, grade: Grade) -> bool | None:
        """The literal answer from ``grade``'s row of the table (None: the question does not
        say what it asks, or the grade does not describe that criterion)."""
        text = dict(grade.criteria).get(self.criterion) if self.criterion else None
        return None if text is None else text in self.yes_when


@dataclass(frozen=True)
class Scale:
    """A closed grading scale; valid once constructed.

    ``site`` says what one grade describes (``disc``, ``endplate``, ``joint``, ``corner``).
    ``ordered`` scales give every grade a strictly increasing ``score``; nominal scales (Modic)
    give none, and their change from baseline is a category change, not a difference.
    """

    id: str
    name: str
    grades: tuple[Grade, ...]
    site: str = "disc"
    ordered: bool = True
    reference: str = ""
    sequence: str = ""
    description: str = ""
    decision: tuple[DecisionStep, ...] = ()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ProtocolError("a scale needs an id", key="id")
        if len(self.grades) < 2:
            raise ProtocolError(f"scale {self.id!r} needs at least two grades", key="grades")
        seen: dict[str, str] = {}
        for grade in self.grades:
            for spelling in grade.spellings:
                other = seen.get(_norm(spelling))
                if other is not None:
                    raise ProtocolError(
                        f"scale {self.id!r}: spelling {spelling!r} of grade {grade.code!r} is "
                        f"already used by grade {other!r}",
                        key="grades",
                        fix="Every code and alias must name one grade only.",
                    )
                seen[_norm(spelling)] = grade.code
        scores = [g.score for g in self.grades]
        if self.ordered:
            if any(s is None for s in scores):
                missing = [g.code for g in self.grades if g.score is None]
                raise ProtocolError(
                    f"ordered scale {self.id!r}: grades {missing} have no score",
                    key="grades",
                    fix="Give every grade a score, or set ordered = false.",
                )
            if any(b <= a for a, b in pairwise(scores)):  # type: ignore[operator]
                raise ProtocolError(
                    f"ordered scale {self.id!r}: scores must increase from grade to grade",
                    key="grades",
                )
        elif any(s is not None for s in scores):
            raise ProtocolError(
                f"nominal scale {self.id!r} (ordered = false) cannot give grades a score",
                key="grades",
                fix="Remove the scores, or set ordered = true.",
            )
        codes = {g.code for g in self.grades}
        for step in self.decision:
            for target in (step.yes, step.no):
                if target is not None and target not in codes:
                    raise ProtocolError(
                        f"scale {self.id!r}: decision question {step.question!r} leads to "
                        f"unknown grade {target!r}",
                        key="decision",
                        fix=f"Use one of the grade codes: {', '.join(self.codes)}.",
                    )
        if self.decision and self.decision[-1].no is None:
            raise ProtocolError(
                f"scale {self.id!r}: the last decision question needs a 'no' grade",
                key="decision",
            )
        self._check_decision_against_the_table()

    def _check_decision_against_the_table(self) -> None:
        """Answered literally from each grade's criteria, the questions reach that grade."""
        if not self.decision or not all(step.criterion for step in self.decision):
            return
        for index, step in enumerate(self.decision):
            described = {dict(g.criteria).get(step.criterion) for g in self.grades} - {None}
            unknown = [text for text in step.yes_when if text not in described]
            if not described or unknown:
                raise ProtocolError(
                    f"scale {self.id!r}: decision question {step.question!r} answers yes for "
                    f"{unknown or list(step.yes_when)}, which no grade's {step.criterion!r} says",
                    key=f"decision[{index}].yes_when",
                    fix=f"Descriptions of {step.criterion!r}: "
                    + "; ".join(repr(t) for t in sorted(d for d in described if d) or ["none"]),
                )
        for grade in self.grades:
            answers = [step.answer(grade) for step in self.decision]
            if None in answers:
                continue  # a grade the questions do not describe (not checked)
            reached = self.decide([bool(a) for a in answers])
            if reached.code != grade.code:
                said = "; ".join(
                    f"{step.criterion} {dict(grade.criteria)[step.criterion]!r}: "
                    f"{'yes' if answer else 'no'}"
                    for step, answer in zip(self.decision, answers, strict=True)
                )
                raise ProtocolError(
                    f"scale {self.id!r}: answered literally from {grade.label}'s criteria "
                    f"({said}), the decision questions lead to {reached.label}",
                    key="decision",
                    fix="Make each question ask what the table says of the grade it leads to.",
                )

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.grades)

    def valid_text(self) -> str:
        """The accepted values, for error messages: ``1, 2, 3 (or I, II, III)``."""
        text = ", ".join(self.codes)
        if all(len(g.aliases) == 1 for g in self.grades):
            return f"{text} (or {', '.join(g.aliases[0] for g in self.grades)})"
        return text

    def grade(self, value: object) -> Grade:
        """The grade written ``value`` (code or alias, any case; 4 == "4"), or ValueError."""
        if isinstance(value, Grade):
            value = value.code
        wanted = _norm(value_text(value))
        for grade in self.grades:
            if any(_norm(s) == wanted for s in grade.spellings):
                return grade
        raise ValueError(
            f"{value_text(value)!r} is not a grade of the {self.name} scale; "
            f"valid: {self.valid_text()}"
        )

    def decide(self, answers: Sequence[bool]) -> Grade:
        """Walk the decision algorithm with ``answers`` to its questions, in the order asked."""
        if not self.decision:
            raise ValueError(f"the {self.name} scale has no decision algorithm")
        for step, answer in zip(self.decision, answers, strict=False):
            if answer:
                return self.grade(step.yes)
            if step.no is not None:
                return self.grade(step.no)
        raise ValueError(
            f"{len(answers)} answers do not reach a grade; the algorithm asks up to "
            f"{len(self.decision)} questions"
        )


def load_scale(source: str | Path) -> Scale:
    """Load a scale file, or a built-in scale by name (``"pfirrmann"``, ``"modic"``, ...)."""
    path = Path(source)
    if path.suffix != ".toml" and len(path.parts) == 1:
        builtin = BUILTIN_SCALES / f"{path.name}.toml"
        if not builtin.exists():
            names = ", ".join(sorted(p.stem for p in BUILTIN_SCALES.glob("*.toml")))
            raise ProtocolError(
                f"no built-in scale named {str(source)!r}",
                fix=f"Built-in scales: {names}; or give the path of a .toml scale file.",
            )
        path = builtin
    return scale_from_toml(TomlSource.read(path, "scale"))


def scale_from_toml(source: TomlSource) -> Scale:
    """Build a :class:`Scale` from a parsed scale file; errors carry the file and the line."""
    root = source.root()
    grades = [located(t, partial(_grade, t)) for t in root.tables("grades")]
    steps = [located(t, partial(_step, t)) for t in root.tables("decision", [])]

    def build() -> Scale:
        return Scale(
            id=root.text("id"),
            name=root.text("name"),
            grades=tuple(grades),
            site=root.text("site", "disc"),
            ordered=root.flag("ordered", True),
            reference=root.text("reference", ""),
            sequence=root.text("sequence", ""),
            description=root.text("description", ""),
            decision=tuple(steps),
        )

    scale = located(root, build)
    root.done()
    return scale


def _grade(table: Table) -> Grade:
    criteria = table.table("criteria", None)
    pairs: list[tuple[str, str]] = []
    if criteria is not None:
        for feature, text in criteria.items():
            if not isinstance(text, str):
                raise criteria.error(feature, f"criterion {feature} must be text, got {text!r}")
            pairs.append((feature.replace("_", " "), text.strip()))
    code = table.raw("code")
    if not isinstance(code, str | int) or isinstance(code, bool):
        raise table.error(
            "code" if code is not None else None,
            f"a grade needs a code (text or a whole number), got {code!r}",
        )
    score = table.number("score", None)
    grade = Grade(
        code=value_text(code),
        label=table.text("label"),
        score=score,
        aliases=tuple(table.texts("aliases", [])),
        criteria=tuple(pairs),
        meaning=table.text("meaning", ""),
    )
    table.done()
    return grade


def _step(table: Table) -> DecisionStep:
    yes = table.raw("yes")
    no = table.raw("no")
    if yes is None:
        raise table.error(
            None, "a decision question needs 'yes' (the grade when the answer is yes)"
        )
    step = DecisionStep(
        question=table.text("question"),
        yes=value_text(yes),
        no=None if no is None else value_text(no),
        criterion=table.text("criterion", ""),
        yes_when=tuple(table.texts("yes_when", [])),
    )
    table.done()
    return step
