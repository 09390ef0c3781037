"""What a registration put into the store: cases with their images, and images fitting no visit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from imaging.dicom.vocabulary import is_cross_sectional
from imaging.protocol.visits import AssignmentStatus
from imaging.store.archive_roots import image_path
from imaging.store.schema import Case, Image, Subject

NEEDS_TREATMENT_DATE = AssignmentStatus.NEEDS_TREATMENT_DATE.value


@dataclass(frozen=True)
class CaseImages:
    """One case (subject and visit) with the registered images it holds."""

    subject: str
    visit: str
    films: tuple[str, ...]
    """Film of each radiograph ('neutral', 'flexion', ...; '' when unknown), sorted."""
    series: int
    """Cross-sectional (MR/CT/PT) series."""
    images: int


@dataclass(frozen=True)
class FlaggedImage:
    """An image registered without a visit, and why."""

    subject: str
    path: str
    status: str
    reason: str


@dataclass(frozen=True)
class RegistrationSummary:
    cases: tuple[CaseImages, ...]
    flagged: tuple[FlaggedImage, ...]
    new: int = 0
    """Images the registration added (the others were already in the store)."""

    def format(self) -> str:
        """A plain-text table of the cases, then the flagged images."""
        lines = [f"{'subject':<14} {'visit':<12} {'images':>6}  films / series"]
        for case in self.cases:
            films = ", ".join(film or "unknown film" for film in case.films) or "no film"
            lines.append(
                f"{case.subject:<14} {case.visit:<12} {case.images:>6}  {films}; "
                f"{case.series} series"
            )
        for image in self.flagged:
            lines.append(f"no visit: {image.subject} {image.path}: {image.status} ({image.reason})")
        waiting = self.waiting_for_treatment_date
        if waiting:
            lines.append(
                "the visit of these subjects' images depends on their treatment date: "
                f"{', '.join(waiting)}; give it with --treatment-date SUBJECT=YYYY-MM-DD"
            )
        return "\n".join(lines)

    @property
    def waiting_for_treatment_date(self) -> tuple[str, ...]:
        """Subjects with images whose visit depends on their (unknown) treatment date."""
        return tuple(sorted({i.subject for i in self.flagged if i.status == NEEDS_TREATMENT_DATE}))


def count_images(session: Session) -> int:
    """Images in the store."""
    return int(session.scalar(select(func.count(Image.id))) or 0)


def registration_summary(
    session: Session, images: Iterable[Image], new: int = 0, visit_order: Sequence[str] = ()
) -> RegistrationSummary:
    """The cases ``images`` belong to (all of each case's images counted), by subject then in
    ``visit_order`` (a protocol's visit ids), and the images fitting no visit."""
    images = list(images)
    case_pks = sorted({image.case_pk for image in images if image.case_pk is not None})
    cases = []
    for case, subject in session.execute(
        select(Case, Subject)
        .join(Subject, Subject.id == Case.subject_pk)
        .where(Case.id.in_(case_pks))
        .order_by(Subject.subject_id, Case.id)
    ).all():
        held = session.scalars(select(Image).where(Image.case_pk == case.id)).all()
        cross_sectional = {
            image.series_instance_uid for image in held if is_cross_sectional(image.modality)
        }
        films = sorted(image.film for image in held if not is_cross_sectional(image.modality))
        cases.append(
            CaseImages(
                subject.subject_id, case.visit_id, tuple(films), len(cross_sectional), len(held)
            )
        )
    subjects = {
        row.id: row.subject_id for row in session.execute(select(Subject.id, Subject.subject_id))
    }
    flagged = tuple(
        FlaggedImage(
            subjects.get(image.subject_pk, ""),
            image_path(session, image),
            image.assignment_status,
            image.assignment_reason,
        )
        for image in images
        if image.case_pk is None
    )
    rank = {visit: index for index, visit in enumerate(visit_order)}
    cases.sort(key=lambda c: (c.subject, rank.get(c.visit, len(rank)), c.visit))
    return RegistrationSummary(tuple(cases), flagged, new)
