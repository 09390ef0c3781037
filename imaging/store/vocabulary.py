"""The read store's closed vocabularies, in one place: read status, reader role, corner use.

Every value the store keeps in these columns, and every front end that shows or tests them (the
command line, the napari workstation), spells it through these enums. They are
:class:`~enum.StrEnum`: a member equals its value, so ``ReadStatus(read.status)`` normalises a
value read from the database once and comparisons with stored text keep working.
"""

from __future__ import annotations

from enum import StrEnum


class ReadStatus(StrEnum):
    """Where one reader's read of a case stands (``reads.status``; ``to read`` is never stored)."""

    TO_READ = "to read"
    """The reader has no read of the case yet (worklists and the workstation only)."""
    DRAFT = "draft"
    """Being read: saved as it goes, changed freely, not an endpoint yet."""
    SUBMITTED = "submitted"
    """Final for this version: changed only by a correction (version n + 1, with a reason)."""
    LOCKED = "locked"
    """Final for good: no further corrections."""

    @property
    def editable(self) -> bool:
        """The reader may change the read as it is (no correction needed)."""
        return self in (ReadStatus.TO_READ, ReadStatus.DRAFT)

    @property
    def done(self) -> bool:
        """Submitted or locked: counts as read (worklist progress, exports)."""
        return self in (ReadStatus.SUBMITTED, ReadStatus.LOCKED)


STORED_STATUSES: tuple[ReadStatus, ...] = (
    ReadStatus.DRAFT,
    ReadStatus.SUBMITTED,
    ReadStatus.LOCKED,
)
"""The statuses a stored read can have (the ``status_known`` constraint of ``reads``)."""


class ReaderRole(StrEnum):
    """The role a reader reads a case in (``reads.role``)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    ADJUDICATOR = "adjudicator"


class LandmarkUse(StrEnum):
    """Which position of a corner is measured with (``landmarks.used``)."""

    CLICK = "click"
    """The reader's click."""
    REFINED = "refined"
    """The position corner refinement offered, accepted by the reader (or applied because
    confident, when the reader chose automatic refinement)."""
    TRACKED = "tracked"
    """Mapped from another film by vertebra tracking, accepted by the reader."""
    MOVED = "moved"
    """Placed by hand after a refinement or tracking offered another position.

    A film's label in the endpoint table's ``corners`` column comes from these per-corner uses
    through :func:`imaging.endpoints.corners_label` (the one vocabulary of that column)."""
