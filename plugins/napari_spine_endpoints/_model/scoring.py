"""Guided scoring of the AS protocol: joint by joint on the pelvic film, corner by corner on the
lateral cervical and lumbar films, then the rigidity confirmation (issue 20).

A thin guide over the read's :class:`GradeForm`: the grades it sets are the form's (so drafts,
submit, corrections and the store are the workstation's own), and what the steps are comes from
the protocol: every site of an item whose scale is read per ``joint`` (sacroiliitis) or per
``corner`` (mSASSS), then the once-per-case items at ``spine``. A key gives the current site its
score and moves on to the next site without one; a site that cannot be scored gets the reason
instead. For sacroiliitis the modality the grade was given on (``xray``, or ``ct`` where the film is
unclear) is set with it. Where each site is on its film is a reading aid, not part of the read:
the reader's click places the current site; a site not clicked is predicted from the three sites
before it on the same film: the step from the last site repeats the last step of its kind (across a
disc or across a body: two sites back), turned as the spine turned between the last two steps of
that kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from imaging.anatomy import MSASSS_SEGMENTS, SACROILIAC_JOINTS
from imaging.protocol.model import Protocol, RigidityRule
from imaging.protocol.rigidity import rigidity_condition
from imaging.protocol.scales import Grade
from napari_spine_endpoints._model.grading import GradeForm
from napari_spine_endpoints._model.observable import Observable

GUIDED_SITES = ("joint", "corner")
"""The scale sites scored step by step on a film (``Scale.site``)."""
VIEWS = ("ap_pelvis", "lateral_cervical", "lateral_lumbar")
"""The films the steps are on, in reading order."""
CASE_LEVEL = "spine"
MODALITY_ITEM_SUFFIX = "_modality"

Point = tuple[float, float]


@dataclass(frozen=True)
class Step:
    """One site to score: ``item`` at ``site`` on the film ``view`` (None: no film, a
    once-per-case confirmation)."""

    site: str
    item: str
    view: str | None


def view_of(site: str) -> str | None:
    """The film a site is scored on."""
    if site in SACROILIAC_JOINTS:
        return "ap_pelvis"
    vertebra = site.rsplit("-", 1)[0]
    for segment, vertebrae in MSASSS_SEGMENTS.items():
        if vertebra in vertebrae:
            return f"lateral_{segment}"
    return None


def has_guided_scoring(form: GradeForm | None) -> bool:
    """The form holds an ordered score read per joint or corner."""
    return form is not None and any(
        i.scale.site in GUIDED_SITES and i.scale.ordered for i in form.items
    )


class GuidedScoring(Observable):
    """The steps of a read's guided scoring, the current one, and where its sites are."""

    def __init__(self, form: GradeForm) -> None:
        self.form = form
        guided = [i for i in form.items if i.scale.site in GUIDED_SITES and i.scale.ordered]
        if not guided:
            raise ValueError("the protocol has no item scored per joint or corner")
        steps = [
            Step(site, item.name, view_of(site))
            for item in guided
            for site in form.levels
            if site in item.levels
        ]
        steps.sort(key=lambda s: VIEWS.index(s.view) if s.view in VIEWS else len(VIEWS))
        steps += [
            Step(CASE_LEVEL, item.name, None)
            for item in form.items
            if CASE_LEVEL in item.levels and CASE_LEVEL in form.levels
        ]
        self.steps: tuple[Step, ...] = tuple(steps)
        self.index = 0
        self.positions: dict[str, Point] = {}
        self.modality = "xray"
        """The modality set beside each joint grade (``xray`` or ``ct``)."""
        super().__init__()

    # --- where the reader is -------------------------------------------------------------------
    @property
    def current(self) -> Step:
        return self.steps[self.index]

    @property
    def done(self) -> bool:
        """Every step has a score or a reason."""
        return all(self.is_scored(step) for step in self.steps)

    def is_scored(self, step: Step) -> bool:
        return (step.site, step.item) in self.form.values or step.site in self.form.reasons

    def grades(self) -> tuple[Grade, ...]:
        """The current item's grades, with their meanings (the definitions at hand)."""
        return self.form.scale_of(self.current.item).grades

    def keys(self) -> dict[str, str]:
        """Key -> code for the current item: a digit code is its own key; the codes of another
        scale are numbered from 1 in scale order (yes 1, no 2, not assessable 3)."""
        grades = self.grades()
        if all(g.code.isdigit() for g in grades):
            return {g.code: g.code for g in grades}
        return {str(number): g.code for number, g in enumerate(grades, start=1)}

    # --- the reader's actions -------------------------------------------------------------------
    def score(self, code: str) -> None:
        """Give the current site ``code`` (ValueError when not on its scale), then move on."""
        step = self.current
        self.form.set_grade(step.site, step.item, code)
        modality = f"{step.item}{MODALITY_ITEM_SUFFIX}"
        if any(i.name == modality for i in self.form.items_at(step.site)):
            self.form.set_grade(step.site, modality, self.modality)
        self.form.set_reason(step.site, "")
        self._advance()

    def cannot_score(self, reason: str) -> None:
        """The current site cannot be scored, for ``reason`` (its score cleared); move on."""
        if not reason.strip():
            raise ValueError("say why the site cannot be scored (hidden, not imaged, ...)")
        step = self.current
        self.form.set_grade(step.site, step.item, None)
        self.form.set_reason(step.site, reason)
        self._advance()

    def go_to(self, index: int) -> None:
        self.index = max(0, min(index, len(self.steps) - 1))
        self._changed()

    def back(self) -> None:
        self.go_to(self.index - 1)

    def place(self, point: Point) -> None:
        """The reader clicked the current site on its film."""
        if self.current.view is not None:
            self.positions[self.current.site] = (float(point[0]), float(point[1]))
            self._changed()

    def position(self, step: Step | None = None) -> Point | None:
        """Where the site is: clicked, else predicted from the sites before it on the same film
        (clicked or predicted themselves), else unknown."""
        step = step or self.current
        if step.site in self.positions:
            return self.positions[step.site]
        if step.view is None:
            return None
        same = [s for s in self.steps if s.view == step.view and s.item == step.item]
        if step not in same:
            return None
        known: list[complex | None] = []
        for each in same[: same.index(step) + 1]:
            clicked = self.positions.get(each.site)
            known.append(complex(*clicked) if clicked is not None else _predict(known))
        found = known[-1]
        return None if found is None else (found.real, found.imag)

    def _advance(self) -> None:
        """To the next step without a score or reason (after the current one, wrapping)."""
        count = len(self.steps)
        for offset in range(1, count + 1):
            candidate = (self.index + offset) % count
            if not self.is_scored(self.steps[candidate]):
                self.index = candidate
                break
        self._changed()


@dataclass(frozen=True)
class FilmShape:
    """What tells the AS films apart without their descriptions (a blinded case has none):
    (0020,0020) Patient Orientation and the field's height in mm."""

    key: str
    patient_orientation: tuple[str, ...]
    height_mm: float | None


def assign_views(films: list[FilmShape]) -> dict[str, str]:
    """View -> film key: a film whose columns run to the patient's left or right is the AP
    pelvis; of two lateral films (columns anterior or posterior) the shorter field is the
    cervical spine. A view that cannot be told is left out (the reader assigns it)."""
    out: dict[str, str] = {}
    lateral = []
    for film in films:
        columns = film.patient_orientation[0][:1].upper() if film.patient_orientation else ""
        if columns in ("L", "R") and "ap_pelvis" not in out:
            out["ap_pelvis"] = film.key
        elif columns in ("A", "P"):
            lateral.append(film)
    if len(lateral) == 2 and all(f.height_mm is not None for f in lateral):
        cervical, lumbar = sorted(lateral, key=lambda f: f.height_mm or 0.0)
        if cervical.height_mm != lumbar.height_mm:
            out["lateral_cervical"], out["lateral_lumbar"] = cervical.key, lumbar.key
    return out


def rigidity_preview(protocol: Protocol, form: GradeForm) -> str | None:
    """What the corner scores of the read so far say about complete spinal rigidity, by the
    protocol's own rule (:func:`imaging.protocol.rigidity.rigidity_condition`), for the
    confirmation step: the values and the verdict they would give. None without such a rule."""
    rule = next((r for r in protocol.rules if isinstance(r, RigidityRule)), None)
    if rule is None or protocol.msasss is None:
        return None

    def grade(item: str, level: str) -> tuple[str | None, str]:
        code = form.values.get((level, item))
        return (code, "") if code is not None else (None, f"{level} {item}: not graded")

    rigid, values, reason = rigidity_condition(protocol, rule, grade)
    verdict = {True: "rigid", False: "not rigid", None: "undecided"}[rigid]
    return f"{values or 'no corner scored'}: {verdict} ({reason})"


def _predict(known: list[complex | None]) -> complex | None:
    """The next site from the sites before it on the film (``row + col j``): the last one plus
    the last step of the same kind (two sites back), turned by the turn between the last two steps
    of that kind when five sites are known; None with fewer than three."""
    last3 = known[-3:]
    if len(last3) < 3 or any(p is None for p in last3):
        return None
    third, second, last = (p for p in last3 if p is not None)
    step = second - third
    last5 = known[-5:]
    if len(last5) == 5 and all(p is not None for p in last5):
        first, following = (p for p in last5[:2] if p is not None)
        earlier = following - first
        if earlier != 0 and step != 0:
            turn = step / earlier
            step *= turn / abs(turn)
    return last + step
