"""PostgreSQL: the reading views that look a case up by subject, as a reader's own database role
(issue 16): the reader's own baseline read beside a follow-up (``show_own_baseline``, migration
0013) only where the design the store keeps allows it, never another reader's, never the subject;
the AS trial's paired reading (migration 0014) from the paired cases the registration kept.

Runs only with ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` (a scratch database, emptied; its user may
create roles). The roles are dropped afterwards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch_postgres import POSTGRES_URL, reader_roles, registered, role_url
from sqlalchemy import text

from imaging.errors import StoreError
from imaging.protocol import Protocol, load_protocol
from imaging.store.baseline_view import own_baseline_of
from imaging.store.export import stored_rows
from imaging.store.paired import paired_worklist, save_paired
from imaging.store.reading_design import publish
from imaging.store.reads import ReadContent
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map
from imaging.store.workstation import CaseKey, case_to_open, submit_read

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run"
)
FILMS = (
    "DLBP-001/baseline/DX_lateral_neutral.dcm",
    "DLBP-001/month_6/DX_lateral_neutral.dcm",
    "DLBP-002/month_6/DX_lateral_neutral.dcm",
)


@pytest.fixture
def allowing(protocol: Protocol) -> Protocol:
    return dataclasses.replace(protocol, show_own_baseline=True)


@pytest.fixture
def owner(allowing: Protocol) -> Iterator[ReadStore]:
    """DLBP-001 at baseline and month 6, DLBP-002 at month 6, registered under a protocol that
    shows a reader's own baseline beside a follow-up (so the store keeps that design)."""
    with registered(allowing, FILMS) as store:
        yield store


@pytest.fixture
def readers(owner: ReadStore) -> Iterator[tuple[str, ...]]:
    with reader_roles(owner) as logins:
        yield logins


def cases(owner: ReadStore) -> dict[tuple[str, str], str]:
    with owner.reading() as db:
        return {names: rid for rid, names in unblinding_map(db).items()}


def test_a_reader_role_sees_their_own_baseline_beside_a_follow_up_where_the_store_allows_it(
    owner: ReadStore, readers: tuple[str, str], allowing: Protocol, protocol: Protocol
) -> None:
    a, b = readers
    ids = cases(owner)
    baseline, follow_up = ids[("DLBP-001", "baseline")], ids[("DLBP-001", "month_6")]
    other_subject = ids[("DLBP-002", "month_6")]
    with ReadStore(role_url(owner, a)) as store:
        with store.writing() as db:
            submit_read(db, CaseKey(baseline, a), ReadContent({("L4-L5", "pfirrmann"): "3"}),
                        allowing)  # fmt: skip
            for rid in (follow_up, other_subject):
                case_to_open(db, rid, a, allowing)
        with store.reading() as db:
            shown = own_baseline_of(db, a, allowing, reading_id=follow_up)
            found = db.execute(text("SELECT spine_own_baseline(:r)"), {"r": other_subject})
            assert found.scalar() is None  # DLBP-002 has no baseline case: nothing
        assert (shown.content.grades, shown.version, shown.status) == (
            {("L4-L5", "pfirrmann"): "3"}, 1, "submitted",
        )  # fmt: skip
        (film,) = shown.images.films()
        assert film.token.startswith("img-") and film.pixels.size > 0
        with store.reading() as db, pytest.raises(StoreError, match="this case is the baseline"):
            own_baseline_of(db, a, allowing, reading_id=baseline)
        with store.reading() as db, pytest.raises(StoreError, match="no baseline read"):
            own_baseline_of(db, a, allowing, reading_id=other_subject)
    with ReadStore(role_url(owner, b)) as store:  # B: no read of the baseline, none of A's
        with store.writing() as db:
            case_to_open(db, follow_up, b, allowing)
        with store.reading() as db, pytest.raises(StoreError, match=f"reader {b} has no baseline"):
            own_baseline_of(db, b, allowing, reading_id=follow_up)
    with owner.writing() as db:  # the store now keeps the design that keeps time order blinded
        assert publish(db, protocol, actor="owner")
    with ReadStore(role_url(owner, a)) as store, store.reading() as db:
        refused = "the store keeps protocol .* reading design without show_own_baseline"
        with pytest.raises(StoreError, match=refused):  # the reader's file says yes: not enough
            own_baseline_of(db, a, allowing, reading_id=follow_up)
    with owner.reading() as db:
        published = db.execute(
            text("SELECT new_value FROM audit_log WHERE action = 'published' ORDER BY id")
        ).scalars().all()  # fmt: skip
    assert published == ["reads_per_case 2, own baseline read shown beside follow-ups",
                         "reads_per_case 2"]  # fmt: skip


def test_a_reader_role_scores_the_as_trials_paired_case_without_learning_the_time_order(
    protocol: Protocol,
) -> None:
    """AS-001's lumbar films at baseline and 24 months registered by the owner (which keeps the
    paired case); reader A's role gets it as sets A and B, scores both in one sitting and
    submits; the owner's rows put each score under its visit."""
    trial = load_protocol("as-ucmsc")
    assert trial.msasss is not None
    root = Path(__file__).resolve().parents[2] / "sample_dicom_as"
    films = ("AS-001/baseline/DX_lateral_lumbar.dcm", "AS-001/month_24/DX_lateral_lumbar.dcm")
    with registered(trial, films, root) as owner, reader_roles(owner, 1) as (a,):
        visit_of = {rid: visit for (_, visit), rid in cases(owner).items()}
        with ReadStore(role_url(owner, a)) as store, store.writing() as db:
            (paired,) = paired_worklist(db, trial, a)
            scores = {s.label: "1" if visit_of[s.reading_id] == "baseline" else "2"
                      for s in paired.sets}  # fmt: skip
            contents = {
                label: ReadContent({(site, "msasss"): code for site in trial.msasss.sites})
                for label, code in scores.items()
            }
            done = save_paired(db, trial, a, paired.paired_id, contents, submit=True)
        with owner.reading() as db:
            rows = stored_rows(db, trial)
    assert [s.label for s in paired.sets] == ["A", "B"] and done.status == "submitted"
    shown = repr(paired)
    assert "baseline" not in shown and "month_24" not in shown and "AS-" not in shown
    totals = {(r.visit, r.measure): r.value for r in rows if r.level == "spine"}
    assert (totals[("baseline", "msasss_total")], totals[("month_24", "msasss_total")]) == (24, 48)
