"""Hostile text inputs (issue 13, parser limits): each is refused naming the file, the line, the
limit and the fix; nothing hangs, reads forever or ends in a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from imaging.cli import main
from imaging.errors import ProtocolError, TextInputError
from imaging.landmark_files import load_landmarks, read_landmark_records
from imaging.protocol import load_protocol, read_grade_csv
from imaging.protocol.loader import DEFAULT_PROTOCOL
from imaging.text_input import MAX_BYTES, read_text

LANDMARK_HEADER = "subject,visit,film,image,vertebra,corner,row,col,reader\n"
LANDMARK_ROW = "DLBP-001,baseline,neutral,neutral.dcm,L4,anterior_superior,10,20,R1\n"
GRADE_HEADER = "subject,visit,level,reader,pfirrmann,modic_cranial,modic_caudal,comment\n"
CELL_LIMIT = 128 * 1024
DEV_ZERO = Path("/dev/zero")


def _cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2  # an error of the input (imaging.cli.main)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err


def test_a_landmark_cell_over_128_kib_names_file_line_and_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "landmarks.csv"
    long_reader = "R" * (CELL_LIMIT + 1)
    path.write_text(LANDMARK_HEADER + LANDMARK_ROW + LANDMARK_ROW.replace("R1", long_reader))

    with pytest.raises(TextInputError) as caught:
        read_landmark_records(path)
    assert caught.value.line == 3
    message = str(caught.value)
    assert message.startswith(f"{path}: line 3: a cell is longer than 131,072 characters")
    assert "a quote that is never closed" in message

    error = _cli_error(capsys, "heights", str(path), "--mm-per-pixel", "0.2")
    assert f"{path}: line 3: a cell is longer than 131,072 characters" in error


def test_an_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = tmp_path / "landmarks.csv"
    swallowed = LANDMARK_ROW * (CELL_LIMIT // len(LANDMARK_ROW) + 1)
    path.write_text(LANDMARK_HEADER + LANDMARK_ROW + '"DLBP-002,' + swallowed)

    with pytest.raises(TextInputError, match=r": line 3: a cell is longer .* \(through line \d+\)"):
        read_landmark_records(path)


def test_a_grade_cell_over_128_kib_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    path.write_text(GRADE_HEADER + "DLBP-001,baseline,L4-L5,R1,3,0,0," + "x" * CELL_LIMIT + "y\n")

    with pytest.raises(TextInputError) as caught:
        read_grade_csv(path, load_protocol())
    assert str(caught.value).startswith(f"{path}: line 2: a cell is longer than 131,072")


def test_json_nested_100000_deep_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "landmarks.json"
    path.write_text('{"landmarks":\n' + "[" * 100_000 + "]" * 100_000 + "}")

    with pytest.raises(TextInputError) as caught:
        load_landmarks(path, mm_per_pixel=0.2)
    assert str(caught.value).startswith(f"{path}: line 2: nested more than 64 levels deep")
    assert caught.value.line == 2


def test_toml_nested_200000_deep_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "protocol.toml"
    path.write_text('id = "X"\nname = "X"\ndeep = ' + "[" * 200_000 + "]" * 200_000 + "\n")

    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}: line 3: nested more than 64 levels deep")


def test_toml_dotted_keys_200000_deep_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "protocol.toml"
    path.write_text('id = "X"\n[' + ".".join(["a"] * 200_000) + "]\nx = 1\n")

    with pytest.raises(ProtocolError, match=r"protocol\.toml: line 2: nested more than 64"):
        load_protocol(path)


@pytest.mark.skipif(not DEV_ZERO.exists(), reason="needs /dev/zero")
def test_dev_zero_as_scale_protocol_or_landmark_file_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    protocol = tmp_path / "protocol.toml"
    text = DEFAULT_PROTOCOL.read_text(encoding="utf-8")
    protocol.write_text(text.replace('pfirrmann = "pfirrmann"', 'pfirrmann = "/dev/zero"', 1))
    assert protocol.read_text(encoding="utf-8") != text
    refusal = "a character device, not a regular file"

    with pytest.raises(ProtocolError, match=f"^/dev/zero: {refusal}: it is not read as a scale"):
        load_protocol(protocol)
    with pytest.raises(ProtocolError, match=f"^/dev/zero: {refusal}: it is not read as a protocol"):
        load_protocol(DEV_ZERO)
    with pytest.raises(TextInputError, match=f"^/dev/zero: {refusal}: it is not read as a landm"):
        read_landmark_records(DEV_ZERO)
    error = _cli_error(capsys, "heights", "/dev/zero", "--mm-per-pixel", "0.2")
    assert f"/dev/zero: {refusal}" in error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "landmarks.csv"
    os.mkfifo(fifo)

    with pytest.raises(TextInputError, match="a FIFO \\(named pipe\\), not a regular file"):
        read_landmark_records(fifo)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "landmarks.json"
    with path.open("wb") as handle:
        handle.truncate(MAX_BYTES["json"] + 1)  # sparse: nothing is written or read

    with pytest.raises(TextInputError) as caught:
        read_text(path, "landmark file", "json")
    assert "larger than the limit of 67,108,864 bytes (67,108,865 bytes)" in str(caught.value)


def test_a_million_bad_rows_list_twenty_and_count_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "grades.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(GRADE_HEADER)
        handle.write("DLBP-001,baseline,L4-L5,R1,3,0,0,,extra\n" * 1_000_000)

    error = _cli_error(
        capsys, "grades", "import", str(path), "--store", f"sqlite:///{tmp_path}/s.db"
    )
    lines = error.splitlines()
    assert lines[0].endswith(f"{path}: 1,000,000 bad rows:")
    assert lines[1] == "  line 2: more cells than the 8 columns of the header"
    assert lines[20] == "  line 21: more cells than the 8 columns of the header"
    assert lines[21] == "  ... and 999,980 more bad rows"
    assert len(lines) == 23
