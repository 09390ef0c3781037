"""One truth per endpoint: every path gives the same value for the same reads.

The same corners and grades go along every path a user has: ``heights`` and ``rom`` on the
landmark file, ``batch --landmarks --grades``, the store (``grades import`` + ``landmarks
import``, then ``export``) and ``batch --store``. For every (subject, visit, level, measure, film,
reader) the paths must write the same row: value (as the CSV rounds it and as Parquet keeps it),
unit, grade, calibration, how the corners were obtained, reference discs, note, baseline and
change from baseline. After a grade correction and a landmark correction in the store they agree
again, with the corrected values. Run on the bundled samples and on a freshly generated phantom.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from imaging.cli import main

KEY = ("subject", "visit", "level", "measure", "film", "reader")
COMPARED = (
    "value", "unit", "grade", "calibration", "corners", "reference_levels", "source_image",
    "note", "baseline_value", "change_from_baseline", "baseline_grade", "visit_day", "protocol",
    "origin",
)  # fmt: skip
REPOSITORY = Path(__file__).resolve().parents[1]


def _cli(*argv: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(out):
        status = main(list(argv))
    assert status in (0, 1), (argv, out.getvalue())  # 1: some inputs failed (listed)
    return out.getvalue()


def _rows(path: Path) -> dict[tuple[str, ...], dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    keyed = {tuple(row[k] for k in KEY): row for row in rows}
    assert len(keyed) == len(rows), f"{path}: two rows for one key"
    return keyed


def _paths(archive: Path, landmarks: Path, grades: Path, work: Path) -> dict[str, Path]:
    """Every path's endpoint table (CSV) for these reads; the store is left at ``work/reads.db``."""
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'reads.db'}"
    tables: dict[str, Path] = {}
    tables["heights"] = _heights(landmarks, grades, work)
    tables["rom"] = _rom(landmarks, work)
    _cli("batch", str(archive), "--landmarks", str(landmarks), "--grades", str(grades),
         "--out", str(work / "files"))  # fmt: skip
    tables["batch --landmarks --grades"] = work / "files" / "endpoints.csv"
    starts = _treatment_dates(archive)
    _cli("register", str(archive), "--store", url, "--actor", "test",
         *(f"--treatment-date={subject}={day}" for subject, day in starts.items()))  # fmt: skip
    _cli("grades", "import", str(grades), "--store", url, "--actor", "test")
    _cli("landmarks", "import", str(landmarks), "--store", url, "--actor", "test")
    tables["export"] = work / "export.csv"
    _cli("export", "--store", url, "--out", str(tables["export"]))
    _cli("batch", str(archive), "--store", url, "--out", str(work / "store"))
    tables["batch --store"] = work / "store" / "endpoints.csv"
    return tables


def _assert_agree(tables: dict[str, Path]) -> dict[tuple[str, ...], dict[str, str]]:
    """Every path against the file batch (the widest table); returns that table."""
    reference = _rows(tables["batch --landmarks --grades"])
    measures = {key for key, row in reference.items() if not row["grade"]}
    for name, path in tables.items():
        rows = _rows(path)
        if name in ("heights", "rom"):
            assert set(rows) <= measures, f"{name}: rows the batch does not have"
        else:
            assert set(rows) == set(reference), f"{name}: rows differ from the batch's"
        assert rows, name
        # day 0 (the treatment date) is known to the store only: study_day is compared below
        columns = COMPARED
        for key, row in rows.items():
            for column in columns:
                assert row[column] == reference[key][column], (name, key, column)
    heights, rom = _rows(tables["heights"]), _rows(tables["rom"])
    assert set(heights) | set(rom) == measures  # together they give every measure of the batch
    # day 0 is the treatment date, unknown to files, and the DLBP protocol's baseline imaging
    # precedes treatment by an interval: no study day is guessed
    assert {row["study_day"] for row in reference.values()} == {""}
    # one reader per case, even under the DLBP protocol's double reading: every value is that read's
    assert {row["origin"] for row in reference.values()} == {"single read"}
    if "export" in tables:  # the store knows the treatment dates: export and batch --store agree
        exported, batched = _rows(tables["export"]), _rows(tables["batch --store"])
        days = {key: row["study_day"] for key, row in exported.items()}
        assert days == {key: row["study_day"] for key, row in batched.items()}
        assert "" not in days.values()
    return reference


def _parquet_equal(left: Path, right: Path) -> None:
    """Full precision: the same values in the two Parquet tables (read versions and the study
    day, which only the store knows, aside)."""
    a, b = (pd.read_parquet(p).drop(columns=["read_version", "study_day"]) for p in (left, right))
    a, b = (t.sort_values(list(KEY)).reset_index(drop=True) for t in (a, b))
    pd.testing.assert_frame_equal(a, b)


def _check_every_path(archive: Path, landmarks: Path, grades: Path, work: Path) -> None:
    tables = _paths(archive, landmarks, grades, work / "before")
    reference = _assert_agree(tables)
    _parquet_equal(work / "before" / "files" / "endpoints.parquet",
                   work / "before" / "store" / "endpoints.parquet")  # fmt: skip
    export = _rows(tables["export"])
    # version 1 from the grade form, version 2 with the corners added (nothing changed: no reason)
    assert {row["read_version"] for row in export.values()} == {"2"}

    # Corrections in the store: a grade and a corner of the first subject's baseline.
    subject = sorted({key[0] for key in reference})[0]
    copy = work / "archive"  # the corrected landmark file lies beside its images, as a user's
    shutil.copytree(archive, copy, ignore=shutil.ignore_patterns("*.csv", "*.json", "*.md"))
    fixed_grades, fixed_landmarks = copy / "grades-fixed.csv", copy / "landmarks-fixed.csv"
    grade_form = pd.read_csv(grades, dtype=str, keep_default_na=False)
    at = (grade_form["subject"] == subject) & (grade_form["visit"] == "baseline")
    at &= grade_form["level"] == "L4-L5"
    old_grade = grade_form.loc[at, "pfirrmann"].item()
    new_grade = "5" if old_grade != "5" else "4"
    grade_form.loc[at, "pfirrmann"] = new_grade
    grade_form.to_csv(fixed_grades, index=False)
    corners = pd.read_csv(landmarks, dtype=str, keep_default_na=False)
    moved = (corners["subject"] == subject) & (corners["visit"] == "baseline")
    moved &= (corners["film"] == "neutral") & (corners["vertebra"] == "L5")
    moved &= corners["corner"] == "anterior_superior"
    corners.loc[moved, "row"] = str(float(corners.loc[moved, "row"].item()) + 4.0)
    corners.to_csv(fixed_landmarks, index=False)

    url = f"sqlite:///{work / 'before' / 'reads.db'}"
    refused = io.StringIO()
    with redirect_stdout(refused), redirect_stderr(refused):
        assert main(["landmarks", "import", str(fixed_landmarks), "--store", url]) == 2
    assert "a correction needs --reason" in refused.getvalue()
    _cli("grades", "import", str(fixed_grades), "--store", url, "--reason", "re-read")
    _cli("landmarks", "import", str(fixed_landmarks), "--store", url, "--reason", "corner moved")
    after = work / "after"
    after.mkdir()
    _cli("export", "--store", url, "--out", str(after / "export.csv"))
    _cli("batch", str(copy), "--store", url, "--out", str(after / "store"))
    _cli("batch", str(copy), "--landmarks", str(fixed_landmarks), "--grades",
         str(fixed_grades), "--out", str(after / "files"))  # fmt: skip
    corrected = _assert_agree(
        {
            "batch --landmarks --grades": after / "files" / "endpoints.csv",
            "export": after / "export.csv",
            "batch --store": after / "store" / "endpoints.csv",
            "heights": _heights(fixed_landmarks, fixed_grades, after),
            "rom": _rom(fixed_landmarks, after),
        }
    )
    grade_key = (subject, "baseline", "L4-L5", "pfirrmann", "", "ground-truth")
    assert (reference[grade_key]["grade"], corrected[grade_key]["grade"]) == (old_grade, new_grade)
    height = (subject, "baseline", "L4-L5", "disc_height_anterior", "neutral", "ground-truth")
    assert float(corrected[height]["value"]) > float(reference[height]["value"])  # L5 moved down
    exported = _rows(after / "export.csv")
    assert exported[grade_key]["read_version"] == exported[height]["read_version"] == "4"


def _treatment_dates(archive: Path) -> dict[str, str]:
    """Each subject's day 0: 28 days after its baseline study (the seed's liposuction is about
    three weeks before the transplantation)."""
    import json

    starts = {}
    for truth in sorted(archive.glob("*/baseline/ground_truth.json")):
        study = json.loads(truth.read_text(encoding="utf-8"))
        baseline = dt.date.fromisoformat(study["study_date"])
        starts[study["subject"]] = (baseline + dt.timedelta(days=28)).isoformat()
    return starts


def _heights(landmarks: Path, grades: Path, folder: Path) -> Path:
    """The grades decide which discs are normal references for height loss."""
    _cli("heights", str(landmarks), "--grades", str(grades), "--out", str(folder / "heights.csv"))
    return folder / "heights.csv"


def _rom(landmarks: Path, folder: Path) -> Path:
    _cli("rom", str(landmarks), "--out", str(folder / "rom.csv"))
    return folder / "rom.csv"


def test_every_path_gives_the_same_rows_on_the_samples(tmp_path: Path) -> None:
    samples = REPOSITORY / "sample_dicom"
    if not (samples / "landmarks.csv").is_file():
        from imaging.phantom.samples import write_samples

        samples = tmp_path / "samples"
        write_samples(samples)
    _check_every_path(samples, samples / "landmarks.csv", samples / "grades.csv", tmp_path)


def test_every_path_gives_the_same_rows_on_a_generated_phantom(tmp_path: Path) -> None:
    from imaging.phantom import single_study, write_study
    from imaging.phantom.samples import write_grades_csv, write_landmarks_csv

    archive = tmp_path / "phantom"
    truths = [
        write_study(
            single_study(
                seed=seed,
                subject="PH-7",
                visit=visit,
                preset=preset,
                films=films,
                sequences=(),
                study_date=date,
                time_point_id=time_point,
            ),
            archive,
        )
        for seed, visit, preset, films, date, time_point in (
            (
                11,
                "baseline",
                "degenerated",
                ("neutral", "flexion", "extension"),
                dt.date(2025, 1, 13),
                "BASELINE",
            ),
            (
                12,
                "month_6",
                "unstable",
                ("neutral", "flexion", "extension"),
                dt.date(2025, 7, 14),
                "M6",
            ),
        )
    ]
    write_landmarks_csv(truths, archive / "landmarks.csv")
    write_grades_csv(truths, archive / "grades.csv")
    _check_every_path(archive, archive / "landmarks.csv", archive / "grades.csv", tmp_path)


@pytest.mark.parametrize("command", ["heights", "rom"])
def test_landmark_file_commands_write_the_one_table(command: str, tmp_path: Path) -> None:
    from imaging.endpoints import COLUMNS

    out = _cli(command, str(REPOSITORY / "sample_dicom" / "landmarks.csv"))
    assert next(csv.reader(io.StringIO(out))) == list(COLUMNS)


def test_the_values_drawn_on_the_film_are_the_command_lines(tmp_path: Path) -> None:
    """The workstation writes each disc's height, loss and angle next to the level from the
    measures table's cells: the same numbers as ``heights`` and ``rom`` on the same corners."""
    from napari_spine_endpoints._layer_info import ImageInfo
    from napari_spine_endpoints._model.on_image import ON_IMAGE_MEASURES, level_labels
    from napari_spine_endpoints._model.placement import CornerLabel
    from napari_spine_endpoints._model.session import ReadingSession

    from imaging.anatomy import Corner, Film, Vertebra
    from imaging.calibration import Calibration
    from imaging.measures import MEASURES
    from imaging.protocol.loader import load_protocol

    samples = REPOSITORY / "sample_dicom"
    corners = pd.read_csv(samples / "landmarks.csv", dtype={"row": float, "col": float})
    chosen = (corners["subject"] == "DLBP-001") & (corners["visit"] == "baseline")
    corners = corners[chosen & (corners["film"] == "neutral")].copy()
    corners["image"] = [str(samples / image) for image in corners["image"]]  # beside no images
    grades = pd.read_csv(samples / "grades.csv", dtype=str, keep_default_na=False)
    grades = grades[(grades["subject"] == "DLBP-001") & (grades["visit"] == "baseline")]
    landmarks, grade_form = tmp_path / "landmarks.csv", tmp_path / "grades.csv"
    corners.to_csv(landmarks, index=False)
    grades.to_csv(grade_form, index=False)
    cli = {**_rows(_heights(landmarks, grade_form, tmp_path)), **_rows(_rom(landmarks, tmp_path))}

    session = ReadingSession(load_protocol(), "ground-truth", "DLBP-001", "baseline")
    image = str(corners["image"].iloc[0])
    truth = pd.read_json(samples / "DLBP-001" / "baseline" / "ground_truth.json", typ="series")
    neutral = next(i for i in truth["images"] if i.get("film") == "neutral")
    spacing = tuple(neutral["calibration"]["pixel_spacing_mm"])
    calibration = Calibration(spacing, neutral["calibration"]["source"], "sample header")
    session.add_film(ImageInfo("radiograph", image, calibration, film=Film.NEUTRAL))
    positions = {
        CornerLabel(Vertebra(v), Corner(c)): (float(r), float(k))
        for v, c, r, k in zip(
            corners["vertebra"], corners["corner"], corners["row"], corners["col"], strict=True
        )
    }
    session.placements[Film.NEUTRAL].load(positions)
    assert session.grades is not None
    graded = grades[grades["pfirrmann"] != ""]  # the normal reference discs
    for level, code in zip(graded["level"], graded["pfirrmann"], strict=True):
        session.grades.set_grade(str(level), "pfirrmann", str(code))
    levels = [level.value for level in session.disc_levels]
    labels = level_labels(session.measures().films[Film.NEUTRAL], positions, levels)

    assert [x.level for x in labels] == levels
    compared = 0
    for label in labels:
        for measure, _prefix in ON_IMAGE_MEASURES:
            value = cli[("DLBP-001", "baseline", label.level, measure, "neutral", "ground-truth")]
            shown = MEASURES[measure].format(float(value["value"]))
            assert f" {shown}" in label.text, (label.text, measure, shown)
            compared += 1
    assert compared == 3 * len(levels)


def test_the_workstation_the_store_and_the_batch_name_kept_clicks_alike() -> None:
    """A film refined but for two corners: the workstation's measures table, the store's rows
    (what ``export`` writes) and the batch give its rows the same ``corners`` label and the same
    note naming each corner that kept its click and why."""
    from napari_spine_endpoints._layer_info import ImageInfo
    from napari_spine_endpoints._model.placement import CornerLabel
    from napari_spine_endpoints._model.provenance import CornerRecord
    from napari_spine_endpoints._model.session import ReadingSession
    from napari_spine_endpoints._model.store_content import to_read_content

    from imaging.anatomy import Corner, Film, Vertebra
    from imaging.assist import CornerRefinement, RefinementResult, RefinementStatus
    from imaging.assist.corners import nested_corners
    from imaging.calibration import Calibration, CalibrationSource
    from imaging.geometry import Landmarks
    from imaging.protocol.loader import load_protocol
    from imaging.store.measures import content_rows
    from imaging.store.vocabulary import LandmarkUse

    samples = REPOSITORY / "sample_dicom"
    corners = pd.read_csv(samples / "landmarks.csv", dtype={"row": float, "col": float})
    chosen = (corners["subject"] == "DLBP-001") & (corners["visit"] == "baseline")
    corners = corners[chosen & (corners["film"] == "neutral")]
    clicks = {
        (Vertebra(v), Corner(c)): (float(r), float(k))
        for v, c, r, k in zip(
            corners["vertebra"], corners["corner"], corners["row"], corners["col"], strict=True
        )
    }
    kept = {
        (Vertebra.L5, Corner.POSTERIOR_SUPERIOR): RefinementStatus.NO_EDGES,
        (Vertebra.L4, Corner.ANTERIOR_SUPERIOR): RefinementStatus.LOW_CONFIDENCE,
    }
    status = {key: kept.get(key, RefinementStatus.REFINED) for key in clicks}
    offered = {key: None if key in kept else (p[0] + 0.5, p[1]) for key, p in clicks.items()}
    used = {key: offered[key] or clicks[key] for key in clicks}
    calibration = Calibration((0.15, 0.15), CalibrationSource.CALIBRATED, "sample header")
    image = str(corners["image"].iloc[0])

    protocol = load_protocol()
    session = ReadingSession(protocol, "reader-a", "DLBP-001", "baseline")
    placement = session.add_film(ImageInfo("radiograph", image, calibration, film=Film.NEUTRAL))
    placement.load({CornerLabel(*key): point for key, point in clicks.items()})
    use = {key: LandmarkUse.CLICK if key in kept else LandmarkUse.REFINED for key in clicks}
    placement.update(
        {
            CornerLabel(*key): (
                used[key],
                CornerRecord(use[key], clicks[key], offered[key], 0.9, status[key].value),
            )
            for key in clicks
        }
    )
    workstation = session.measures().rows
    store = content_rows(
        "DLBP-001", "baseline", "reader-a", None, to_read_content(session), protocol
    )
    result = RefinementResult(
        {
            key: CornerRefinement(
                key[0],
                key[1],
                clicks[key],
                offered[key],
                used[key],
                0.9,
                status[key],
                "",
                None,
                None,
                None,
            )
            for key in clicks
        },
        4.0,
        0.5,
        (0.15, 0.15),
    )
    batch = result.film_corners(Landmarks(nested_corners(clicks), Film.NEUTRAL, calibration))
    note = (
        "neutral: 2 of 22 corners kept the click: L4 anterior_superior (low_confidence), "
        "L5 posterior_superior (no_edges)"
    )
    assert (batch.corners, batch.note) == ("refined 20/22, click 2", note)
    for rows in (workstation, store):
        assert rows is not None
        height = next(r for r in rows if (r.level, r.measure) == ("L4-L5", "disc_height_mean"))
        assert (height.corners, height.note) == ("refined 20/22, click 2", note)
