"""Landmark files: the documented CSV/JSON format, read tolerantly, refused with line and fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from geometry_files import HEADER, landmark_rows, write_csv, write_dx
from geometry_spines import spine_corners

from imaging.anatomy import Film, Vertebra
from imaging.calibration import CalibrationSource
from imaging.errors import LandmarkError, TextInputError
from imaging.landmark_files import (
    RowProblem,
    iter_landmark_records,
    load_landmarks,
    read_landmark_records,
)

ROWS = landmark_rows(spine_corners(), "DLBP-001", "baseline", "neutral", "neutral.dcm")


def _csv(
    tmp_path: Path, rows: list[tuple[str, ...]] | None = None, header: tuple[str, ...] = HEADER
) -> Path:
    return write_csv(tmp_path / "landmarks.csv", ROWS if rows is None else rows, header)


def _error(path: Path, mm_per_pixel: float | None = None) -> str:
    """The message of the file's refusal: a LandmarkError, or a TextInputError for a file that
    cannot be read within the limits of imaging.text_input."""
    with pytest.raises((LandmarkError, TextInputError)) as info:
        load_landmarks(path, mm_per_pixel=mm_per_pixel)
    return str(info.value)


def test_reads_csv_with_user_calibration(tmp_path: Path) -> None:
    (film,) = load_landmarks(_csv(tmp_path), mm_per_pixel=0.15)
    assert (film.subject, film.visit, film.film, film.reader) == (
        "DLBP-001",
        "baseline",
        Film.NEUTRAL,
        "R1",
    )
    assert (
        film.calibration.source is CalibrationSource.CALIBRATED and film.calibration.user_supplied
    )
    assert film.calibration.pixel_spacing == (0.15, 0.15)
    assert film.sources[(Vertebra.L1, film.vertebrae[0].corners[1])] == "line 2"
    assert len(list(film.points())) == 22


def test_spreadsheet_quirks_are_tolerated(tmp_path: Path) -> None:
    header = (
        "Subject",
        "Visit",
        "Film",
        "Image",
        "Vertebra",
        "Corner",
        "Row",
        "Col",
        "Reader",
        "Comment",
    )
    rows = [(*r[:5], r[5].replace("_", "-").title(), *r[6:], "ok") for r in ROWS]
    rows[0] = (*rows[0][:5], "PS", *rows[0][6:])
    path = tmp_path / "landmarks.csv"
    text = ";".join(header) + "\n" + "\n".join(";".join(r) for r in rows) + "\n\n"
    path.write_text("\ufeff" + text, encoding="utf-8")
    (film,) = load_landmarks(path, mm_per_pixel=0.2)
    assert film.missing(Vertebra.L4) == ()


def test_blank_coordinates_mean_not_placed(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[-1] = (*rows[-1][:6], "", "", "R1")  # S1's last corner left blank
    (film,) = load_landmarks(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert len(film.missing(Vertebra.S1)) == 1


def test_json_with_the_same_content(tmp_path: Path) -> None:
    entries = [
        dict(zip(HEADER, r, strict=True)) | {"row": float(r[6]), "col": float(r[7])} for r in ROWS
    ]
    path = tmp_path / "landmarks.json"
    path.write_text(json.dumps({"landmarks": entries}))
    (film,) = load_landmarks(path, mm_per_pixel=0.2)
    (from_csv,) = load_landmarks(_csv(tmp_path), mm_per_pixel=0.2)
    assert film.corners == from_csv.corners
    entries[3]["vertebra"] = "L7"
    path.write_text(json.dumps(entries))
    assert (
        "entry 4 (subject DLBP-001, visit baseline, film neutral): unknown vertebra 'L7'"
        in _error(path)
    )
    path.write_text('[{"subject": 1,\n "visit": }]')
    assert "line 2: not valid JSON" in _error(path)


PREFIX = "line 5 (subject DLBP-001, visit baseline, film neutral): "


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("vertebra", "L6", "unknown vertebra 'L6'. Use one of: T12, L1"),
        ("corner", "anterior_middle", "unknown corner 'anterior_middle' of L1"),
        ("row", "12,5", "L1 anterior_inferior: row '12,5' is not a number"),
        ("col", "inf", "L1 anterior_inferior: col is inf"),
        ("image", "", "empty image. Every row needs a image"),
    ],
)
def test_bad_cells_are_named_with_their_line(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    rows = list(ROWS)
    cells = list(rows[3])
    cells[HEADER.index(column)] = value
    rows[3] = tuple(cells)
    message = _error(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert message.startswith(f"{tmp_path / 'landmarks.csv'}: ")
    assert PREFIX + expected in message


def test_unknown_film_is_named(tmp_path: Path) -> None:
    rows = [(*ROWS[0][:2], "lateral", *ROWS[0][3:]), *ROWS[1:]]
    message = _error(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert (
        "line 2 (subject DLBP-001, visit baseline, film lateral): unknown film 'lateral'" in message
    )
    assert "Use one of: neutral, flexion, extension" in message


def test_missing_columns_are_listed(tmp_path: Path) -> None:
    rows = [r[:6] + r[7:] for r in ROWS]
    header = HEADER[:6] + HEADER[7:]
    message = _error(_csv(tmp_path, rows, header))
    assert (
        "line 1: missing column row (found: subject" in message and "reader is optional" in message
    )


def test_s1_inferior_corner_refused(tmp_path: Path) -> None:
    rows = [
        *ROWS,
        (
            "DLBP-001",
            "baseline",
            "neutral",
            "neutral.dcm",
            "S1",
            "anterior_inferior",
            "300",
            "90",
            "R1",
        ),
    ]
    assert (
        "line 24 (subject DLBP-001, visit baseline, film neutral): "
        "S1 has no anterior_inferior corner" in _error(_csv(tmp_path, rows))
    )


def test_duplicate_corner_names_both_lines(tmp_path: Path) -> None:
    rows = [*ROWS, ROWS[5]]
    message = _error(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert (
        "subject DLBP-001, visit baseline, film neutral, reader R1: "
        "L2 anterior_superior is given twice (line 7 and line 24)" in message
    )


def test_swapped_corners_name_the_lines(tmp_path: Path) -> None:
    rows = list(ROWS)
    # L3's posterior_superior (line 10) and anterior_superior (line 11) exchanged.
    rows[8], rows[9] = (
        (*rows[8][:5], "anterior_superior", *rows[8][6:]),
        (*rows[9][:5], "posterior_superior", *rows[9][6:]),
    )
    message = _error(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert (
        "L3 anterior and posterior corners are swapped" in message
        and "(line 10, line 11)" in message
    )


def test_one_film_one_image(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[4] = (*rows[4][:3], "other.dcm", *rows[4][4:])
    message = _error(_csv(tmp_path, rows), mm_per_pixel=0.2)
    assert (
        "line 6: subject DLBP-001, visit baseline, film neutral, reader R1 names image "
        "'other.dcm', but line 2 names 'neutral.dcm'" in message
    )
    flexion = [(*r[:2], "flexion", *r[3:]) for r in ROWS]
    message = _error(_csv(tmp_path, [*ROWS, *flexion]), mm_per_pixel=0.2)
    assert (
        "image 'neutral.dcm' is the flexion film of subject DLBP-001, visit baseline, "
        "but line 2 makes it the neutral film" in message
    )


def test_missing_image_names_the_row_and_the_fix(tmp_path: Path) -> None:
    message = _error(_csv(tmp_path))
    assert (
        "line 2: image 'neutral.dcm' of subject DLBP-001, visit baseline, film neutral, "
        "reader R1 not found" in message
    )
    assert str(tmp_path / "neutral.dcm") in message
    assert "give --mm-per-pixel" in message


def test_image_found_next_to_the_landmark_file_gives_its_calibration(tmp_path: Path) -> None:
    write_dx(tmp_path / "neutral.dcm", imager_pixel_spacing=(0.2, 0.2), magnification=1.25)
    (film,) = load_landmarks(_csv(tmp_path))
    assert film.calibration.source is CalibrationSource.MAGNIFICATION_CORRECTED
    assert film.calibration.pixel_spacing == pytest.approx((0.16, 0.16))
    (override,) = load_landmarks(_csv(tmp_path), mm_per_pixel=(0.1, 0.12))
    assert override.calibration.pixel_spacing == (0.1, 0.12) and override.calibration.user_supplied


def test_images_by_sop_instance_uid_need_an_archive(tmp_path: Path) -> None:
    uid = write_dx(tmp_path / "archive" / "a" / "film1", magnification=None)
    (tmp_path / "archive" / "notes.txt").write_text("not DICOM")
    rows = [(*r[:3], uid, *r[4:]) for r in ROWS]
    path = _csv(tmp_path, rows)
    assert "no --archive given to look up a SOPInstanceUID" in _error(path)
    (film,) = load_landmarks(path, archive=tmp_path / "archive")
    assert film.calibration.source is CalibrationSource.DETECTOR
    assert film.image == uid


def test_patient_orientation_is_used_for_anterior(tmp_path: Path) -> None:
    write_dx(tmp_path / "neutral.dcm", patient_orientation=("P", "F"))
    message = _error(_csv(tmp_path))
    assert (
        "every anterior corner lies on the posterior side given by the image orientation" in message
    )
    write_dx(tmp_path / "neutral.dcm", patient_orientation=("A", "F"))
    assert load_landmarks(_csv(tmp_path))[0].facing == 1


def test_corner_outside_the_image_is_refused(tmp_path: Path) -> None:
    write_dx(tmp_path / "neutral.dcm", rows=100, columns=200)
    message = _error(_csv(tmp_path))
    assert "lies outside image" in message and "(100 rows x 200 columns)" in message


def test_unreadable_image_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "neutral.dcm").write_text("this is not DICOM")
    message = _error(_csv(tmp_path))
    assert (
        "line 2: image of subject DLBP-001, visit baseline, film neutral cannot be used" in message
    )
    assert "landmark file not found" in _error(tmp_path / "nothing.csv")
    (tmp_path / "empty.csv").write_text(",".join(HEADER) + "\n")
    assert "no placed corners" in _error(tmp_path / "empty.csv")


def test_records_keep_their_line(tmp_path: Path) -> None:
    records = read_landmark_records(_csv(tmp_path))
    assert [r.where for r in records[:2]] == ["line 2", "line 3"]
    assert records[0].film_key == ("DLBP-001", "baseline", Film.NEUTRAL, "R1")


def test_iteration_reports_each_bad_row_and_keeps_the_good_ones(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[3] = (*rows[3][:5], "anterior_middle", *rows[3][6:])
    rows[7] = (*rows[7][:6], "12,5", *rows[7][7:])
    rows.append(("DLBP-001", "baseline", "neutral", "neutral.dcm", "L1", "AS", "1", "2", "R1", "x"))
    path = _csv(tmp_path, rows)

    items = list(iter_landmark_records(path))

    problems = [item for item in items if isinstance(item, RowProblem)]
    records = [item for item in items if not isinstance(item, RowProblem)]
    assert [p.where for p in problems] == ["line 5", "line 9", f"line {len(rows) + 1}"]
    assert len(records) == len(ROWS) - 2
    first = problems[0]
    assert first.film_key == ("DLBP-001", "baseline", "neutral", "R1")
    assert first.reason.startswith(
        "line 5 (subject DLBP-001, visit baseline, film neutral): unknown corner 'anterior_middle'"
    )
    assert first.fix.startswith("Use one of: anterior_superior")
    assert "row '12,5' is not a number" in problems[1].reason
    assert problems[2].reason == f"line {len(rows) + 1}: 10 cells for 9 columns"
    # The strict reader refuses the file at the first of them, with the same text.
    with pytest.raises(LandmarkError) as strict:
        read_landmark_records(path)
    assert str(strict.value) == str(first.error())


def test_iteration_of_json_entries_and_whole_file_errors(tmp_path: Path) -> None:
    entries = [dict(zip(HEADER, row, strict=True)) for row in ROWS[:3]]
    path = tmp_path / "landmarks.json"
    path.write_text(json.dumps([entries[0], "not an entry", {"subject": "DLBP-001"}, *entries[1:]]))

    items = list(iter_landmark_records(path))

    kinds = [type(item).__name__ for item in items]
    assert kinds == [
        "LandmarkRecord",
        "RowProblem",
        "RowProblem",
        "LandmarkRecord",
        "LandmarkRecord",
    ]
    assert items[1].reason == "entry 2: expected an object, got str"  # type: ignore[union-attr]
    assert "entry 3: missing keys visit, film" in items[2].reason  # type: ignore[union-attr]
    # A file that cannot be read as a whole still raises, however it is read.
    rows = [r[:6] + r[7:] for r in ROWS]
    with pytest.raises(LandmarkError, match="missing column row"):
        next(iter_landmark_records(_csv(tmp_path, rows, HEADER[:6] + HEADER[7:])))
    (tmp_path / "empty.csv").write_text(",".join(HEADER) + "\n")
    with pytest.raises(LandmarkError, match="no placed corners"):
        list(iter_landmark_records(tmp_path / "empty.csv"))
