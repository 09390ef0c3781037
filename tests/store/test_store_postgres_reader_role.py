"""PostgreSQL: a reader connected as their own database role does their whole job through the
store's functions (worklist, open a case, its pixels, submit, import their own file), and never
reaches the subject, visit, date or files of a case that is not theirs (issue 16, migration 0010).

The napari workstation goes through the same store functions (``StoreLink``: ``worklist``,
``case_to_open`` in a write transaction, ``case_images``, ``submit_read``), so a reader's URL is
shown working here at the store level. Runs only with ``SPINE_ENDPOINTS_TEST_POSTGRES_URL`` (a
scratch database, emptied; its user may create roles). Reader roles are dropped afterwards.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch_postgres import POSTGRES_URL, reader_roles, registered, role_url
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from imaging.cli import main
from imaging.errors import StoreError
from imaging.protocol import Protocol
from imaging.store.blinding import BlindedImage, case_images
from imaging.store.cases import ImageRecord, register_images
from imaging.store.imports import ImportSummary, ReadImport, import_reads
from imaging.store.migrate import head_revision
from imaging.store.people import identity
from imaging.store.reading_design import publish
from imaging.store.reads import FilmRecord, LandmarkPoint, ReadContent
from imaging.store.signatures import signature_frame, verify
from imaging.store.store import ReadStore
from imaging.store.worklist import unblinding_map, worklist
from imaging.store.workstation import (
    CaseKey,
    case_to_open,
    start_read_correction,
    stored_content,
    submit_read,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="set SPINE_ENDPOINTS_TEST_POSTGRES_URL to run"
)
SAMPLES = Path(__file__).resolve().parents[2] / "sample_dicom"
RAW_READ = (
    "INSERT INTO reads (case_pk, reader, role, version, status, protocol_id, source, started_at) "
    "SELECT case_pk, :reader, 'primary', 1, 'draft', :protocol, '', now() FROM reading_cases "
    "WHERE reading_id = :rid"
)
"""A read inserted in SQL, bypassing the tool."""
FILMS = ("DLBP-001/baseline/DX_lateral_neutral.dcm", "DLBP-001/month_6/DX_lateral_neutral.dcm")


@pytest.fixture
def owner(protocol: Protocol) -> Iterator[ReadStore]:
    """A store with two cases of DLBP-001 (baseline, month 6), one neutral film each."""
    with registered(protocol, FILMS) as store:
        yield store


@pytest.fixture
def readers(owner: ReadStore) -> Iterator[tuple[str, ...]]:
    with reader_roles(owner) as logins:
        yield logins


def as_role(owner: ReadStore, role: str) -> ReadStore:
    return ReadStore(role_url(owner, role))


def ground_truth(token: str, calibration: object) -> ReadContent:
    """The sample's true corners of DLBP-001's baseline neutral film, on the film ``token``."""
    with (SAMPLES / "landmarks.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["image"] == FILMS[0]]
    points = {
        (token, r["vertebra"], r["corner"]): LandmarkPoint(
            "neutral", token, r["vertebra"], r["corner"], float(r["row"]), float(r["col"])
        )
        for r in rows
    }
    film = FilmRecord("neutral", token, calibration)  # type: ignore[arg-type]
    return ReadContent(grades={("L4-L5", "pfirrmann"): "3"}, landmarks=points,
                       films={token: film})  # fmt: skip


def test_a_reader_role_opens_their_next_case_gets_pixels_and_submits(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    a, _ = readers
    with owner.reading() as db:
        names = unblinding_map(db)
    baseline = next(rid for rid, (_, visit) in names.items() if visit == "baseline")
    follow_up = next(rid for rid in names if rid != baseline)
    with as_role(owner, a) as store:
        with store.reading() as db:
            items = worklist(db, a, with_images_only=True, protocol=protocol)
        assert sorted(item.reading_id for item in items) == sorted(names)
        assert all(item.status == "to read" and item.image_count == 1 for item in items)
        with store.writing() as db:
            opened = case_to_open(db, baseline, a, protocol, source="test")
        assert (opened.status, opened.image_count) == ("draft", 1)
        assert "discography_single_painful_disc" in opened.items  # baseline's items, unnamed
        with store.reading() as db:
            images = case_images(db, baseline)
        first, others, series = list(images.stages())  # the film read first, the others
        films = first + others
        assert others == series == [] and images.problems == []
        (film,) = films
        assert isinstance(film, BlindedImage) and film.token.startswith("img-")
        assert film.shape == film.pixels.shape and film.pixels.size > 0
        assert film.calibration.pixel_spacing is not None
        content = ground_truth(film.token, film.calibration)
        with store.writing() as db:
            state = submit_read(db, CaseKey(baseline, a), content, protocol)
        assert (state.status, state.version) == ("submitted", 1)
        with store.reading() as db:
            resumed = stored_content(db, CaseKey(baseline, a))
            signed = signature_frame(db)
        assert resumed is not None and set(resumed.films) == {film.token}
        assert resumed.grades == {("L4-L5", "pfirrmann"): "3"}
        assert list(signed[["reading_id", "signer", "meaning", "subject", "visit"]].itertuples(
            index=False, name=None)) == [(baseline, a, "read completed", "", "")]  # fmt: skip
        # the follow-up case is on A's worklist but not opened: no visit, files or pixels
        with store.reading() as db:
            with pytest.raises(StoreError, match=f"case {follow_up}: you have no read of it"):
                case_images(db, follow_up)
            visit = db.execute(text("SELECT spine_case_visit(:r)"), {"r": follow_up}).scalar()
            assert visit is None
            assert db.execute(
                text("SELECT count(*) FROM spine_case_files(:r)"), {"r": follow_up}
            ).scalar() == 0  # fmt: skip
    with owner.reading() as db:
        trail = db.execute(
            text("SELECT actor, action, subject_id, visit_id FROM audit_log WHERE "
                 "entity = 'read' AND action IN ('started', 'submitted', 'signed') ORDER BY id")
        ).all()  # fmt: skip
        checks = verify(db)
        measures = db.execute(text("SELECT count(*) FROM measurements")).scalar()
    assert [tuple(row) for row in trail] == [
        (a, action, "DLBP-001", "baseline") for action in ("started", "submitted", "signed")
    ]
    assert [check.matches for check in checks] == [True]
    assert measures and measures > 0  # the submit computed the film's measures


def test_a_reader_role_never_sees_another_readers_read_nor_the_subject(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    a, b = readers
    with owner.reading() as db:
        baseline = next(rid for rid, (_, v) in unblinding_map(db).items() if v == "baseline")
    with as_role(owner, b) as store, store.writing() as db:  # submitted without opening it
        submit_read(db, CaseKey(baseline, b), ReadContent({("L4-L5", "pfirrmann"): "4"}), protocol)
        start_read_correction(db, CaseKey(baseline, b), "second look")  # B corrects B's read
        corrected = submit_read(
            db, CaseKey(baseline, b), ReadContent({("L4-L5", "pfirrmann"): "5"}), protocol
        )
    assert (corrected.status, corrected.version) == ("submitted", 2)
    with as_role(owner, a) as store:
        with store.reading() as db:
            (item,) = [i for i in worklist(db, a, protocol=protocol) if i.reading_id == baseline]
            assert (item.status, item.read_id) == ("to read", None)  # B's read is not A's
            assert stored_content(db, CaseKey(baseline, a)) is None
            assert db.execute(text("SELECT count(*) FROM reads")).scalar() == 0
            assert db.execute(text("SELECT count(*) FROM grades")).scalar() == 0
        no_read = f"case {baseline}: you have no read of it"
        with store.reading() as db, pytest.raises(StoreError, match=no_read):
            case_images(db, baseline)
        as_owner = f"audit_log: {a} writes as itself only, not as owner"
        with pytest.raises(DatabaseError, match=as_owner), store.writing() as db:
            db.execute(
                text("INSERT INTO audit_log (at, actor, action, entity, subject_id, visit_id, "
                     "field, reason) VALUES (now(), 'owner', 'x', 'read', '', '', '', '')")
            )  # fmt: skip
        for hidden in ("subjects", "visits", "images", "archive_roots", "audit_log"):
            with pytest.raises(DatabaseError, match="permission denied"), store.reading() as db:
                db.execute(text(f"SELECT * FROM {hidden}"))
        with store.writing() as db:  # a's own read of the case: A sees A's, never B's code
            case_to_open(db, baseline, a, protocol)
            assert db.execute(text("SELECT code FROM grades")).scalars().all() == []
        refused = f"refused to act as '{b}': you are '{a}'"
        with pytest.raises(StoreError, match=refused), store.writing() as db:
            submit_read(db, CaseKey(baseline, b), ReadContent(), protocol)


def test_a_reader_role_imports_their_own_reads_and_not_another_readers(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    a, b = readers
    grades = ReadContent({("L4-L5", "pfirrmann"): "2"})

    def group(subject: str, visit: str, reader: str) -> ReadImport:
        return ReadImport(subject, visit, reader, lambda _: grades, where=2)

    with as_role(owner, a) as store:
        summary = ImportSummary()
        with store.writing() as db:
            problems = import_reads(
                db, protocol,
                [group("DLBP-001", "month_6", a), group("DLBP-009", "month_6", a)],
                summary, actor=a, source="grades.csv",
            )  # fmt: skip
        assert summary.created == [("DLBP-001", "month_6", a)]
        assert problems == [
            (2, "DLBP-009 month_6: no case of subject 'DLBP-009' at visit month_6 is registered")
        ]
        refused = f"the read is {b}'s; {a} is a reader"
        with pytest.raises(StoreError, match=refused), store.writing() as db:
            import_reads(db, protocol, [group("DLBP-001", "baseline", b)], ImportSummary(), actor=a)
    with owner.reading() as db:
        reads = db.execute(text("SELECT reader, status FROM reads")).all()
        looked_up = db.execute(
            text("SELECT actor, subject_id, visit_id, entity_pk IS NOT NULL FROM audit_log "
                 "WHERE action = 'looked up' ORDER BY id")
        ).all()  # fmt: skip
    assert [tuple(r) for r in reads] == [(a, "submitted")]
    assert [tuple(r) for r in looked_up] == [
        (a, "DLBP-001", "month_6", True), (a, "DLBP-009", "month_6", False),
    ]  # fmt: skip


def test_grades_import_as_a_reader_role_stores_their_read_and_refuses_anothers(
    owner: ReadStore, readers: tuple[str, str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    a, b = readers
    monkeypatch.delenv("SPINE_ENDPOINTS_ACTOR", raising=False)
    url = role_url(owner, a)
    form = "subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment\n"
    own, other = tmp_path / "own.csv", tmp_path / "other.csv"
    own.write_text(form + f"DLBP-001,month_6,L4-L5,{a},3,0,0,\n", encoding="utf-8")
    other.write_text(form + f"DLBP-001,month_6,L4-L5,{b},4,0,0,\n", encoding="utf-8")
    assert main(["grades", "import", str(own), "--store", url]) == 0  # acts as the role
    assert main(["grades", "import", str(other), "--store", url]) == 2
    error = capsys.readouterr().err
    assert f"the read is {b}'s; {a} is a reader and acts on their own reads only" in error
    with owner.reading() as db:
        stored = db.execute(text("SELECT r.reader, g.code FROM grades g JOIN reads r ON "
                                 "g.read_pk = r.id WHERE g.item = 'pfirrmann'")).all()  # fmt: skip
    assert [tuple(row) for row in stored] == [(a, "3")]


def test_a_reader_role_opening_a_store_behind_the_code_is_told_the_owner_migrates_it(
    owner: ReadStore, readers: tuple[str, str]
) -> None:
    a, _ = readers
    with owner.writing() as db:
        db.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    head = head_revision()
    with pytest.raises(StoreError, match=f"to revision {head}: permission denied") as refused:
        ReadStore(role_url(owner, a))
    assert "The store's owner migrates it" in str(refused.value)
    with owner.writing() as db:
        db.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})


def test_the_workstations_store_link_on_a_readers_url_opens_loads_and_submits(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    """The napari workstation's calls (``StoreLink``, Qt-free) on reader A's own URL."""
    from napari_spine_endpoints._model.session import ReadingSession
    from napari_spine_endpoints._model.store_link import StoreLink

    a, _ = readers
    link = StoreLink(role_url(owner, a))
    try:
        first = link.worklist(a, protocol)[0]
        opened = link.case(first.reading_id, a, protocol)
        films, _, _ = list(link.images(first.reading_id).stages())
        session = ReadingSession(protocol, a, reading_id=first.reading_id, items=opened.items)
        assert link.submit(session).status == "submitted"
        signed = link.signature(session, 1)
    finally:
        link.close()
    assert len(films) == 1 and films[0].token.startswith("img-")
    assert signed.startswith(f"read completed by {a.title()} ({a}), ")


def test_the_database_holds_a_reader_role_to_the_reading_design_when_the_tool_is_bypassed(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    """Reader A inserting reads in SQL: the store's kept design refuses a case already read as
    often as the protocol says, and a protocol id it keeps no design for."""
    a, b = readers
    single = dataclasses.replace(
        protocol, reading_design=dataclasses.replace(protocol.reading_design, reads_per_case=1)
    )
    with owner.writing() as db:
        assert publish(db, single, actor="owner")
        baseline = next(rid for rid, (_, v) in unblinding_map(db).items() if v == "baseline")
    with as_role(owner, b) as store, store.writing() as db:
        case_to_open(db, baseline, b, single)
    with as_role(owner, a) as store:
        with store.reading() as db:
            listed = [item.reading_id for item in worklist(db, a, protocol=single)]
        assert baseline not in listed and len(listed) == 1
        already = "the case already has its 1 primary read"
        with pytest.raises(DatabaseError, match=already), store.writing() as db:
            db.execute(text(RAW_READ), {"reader": a, "protocol": single.id, "rid": baseline})
        no_design = "protocol other has no reading design"
        with pytest.raises(DatabaseError, match=no_design), store.writing() as db:
            db.execute(text(RAW_READ), {"reader": a, "protocol": "other", "rid": listed[0]})
        taken = "already read by 1 other reader; protocol"
        with pytest.raises(StoreError, match=taken), store.writing() as db:
            case_to_open(db, baseline, a, single)


def test_a_reader_role_gets_the_qualification_set_until_qualified_then_trial_cases(
    owner: ReadStore, readers: tuple[str, str], protocol: Protocol
) -> None:
    from imaging.protocol.qualification import Qualification, QualificationLimit
    from imaging.store.qualification import record_result

    a, _ = readers
    limit = QualificationLimit("pfirrmann", "", ("all",), "percent_exact", 80.0, True)
    design = dataclasses.replace(
        protocol.reading_design,
        qualification=Qualification("q1", ("DLBP-001",), "ref", (limit,)),
    )
    qualifying = dataclasses.replace(protocol, reading_design=design)
    trial_film = ImageRecord.from_file(SAMPLES / "DLBP-002/baseline/DX_lateral_neutral.dcm",
                                       root=SAMPLES)  # fmt: skip
    with owner.writing() as db:
        register_images(db, qualifying, [trial_film], actor="owner")  # keeps the design
        names = unblinding_map(db)
    in_set = sorted(rid for rid, (subject, _) in names.items() if subject == "DLBP-001")
    (trial,) = [rid for rid in names if rid not in in_set]
    with as_role(owner, a) as store:
        with store.reading() as db:
            assert sorted(i.reading_id for i in worklist(db, a, protocol=qualifying)) == in_set
        unqualified = f"{a} is not qualified on qualification q1"
        with pytest.raises(DatabaseError, match=unqualified), store.writing() as db:
            db.execute(text(RAW_READ), {"reader": a, "protocol": qualifying.id, "rid": trial})
        with owner.writing() as db:
            record_result(db, qualifying, a, True, "PASS", actor=identity(db))
        with store.reading() as db:
            assert [i.reading_id for i in worklist(db, a, protocol=qualifying)] == [trial]
        with store.writing() as db:
            assert case_to_open(db, trial, a, qualifying).status == "draft"
    with owner.reading() as db:
        published = db.execute(
            text("SELECT new_value FROM audit_log WHERE action = 'published' ORDER BY id")
        ).scalars().all()  # fmt: skip
    assert published[-1] == "reads_per_case 2, qualification q1 (DLBP-001; reference ref)"
