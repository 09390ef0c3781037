"""``[reading] show_own_baseline``: whether a reader sees their own baseline read beside a
follow-up (reads unblinded to time order); off unless the protocol says so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imaging.errors import ProtocolError
from imaging.protocol import load_protocol
from imaging.protocol.loader import DEFAULT_PROTOCOL

TEXT = DEFAULT_PROTOCOL.read_text(encoding="utf-8")


def _written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trial.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_baseline_is_not_shown_unless_the_protocol_allows_it(tmp_path: Path) -> None:
    assert load_protocol().show_own_baseline is False
    allowed = TEXT.replace("[reading]\n", "[reading]\nshow_own_baseline = true\n", 1)
    assert load_protocol(_written(tmp_path, allowed)).show_own_baseline is True


def test_a_value_that_is_not_true_or_false_is_refused_with_its_line(tmp_path: Path) -> None:
    text = TEXT.replace("[reading]\n", '[reading]\nshow_own_baseline = "yes"\n', 1)
    with pytest.raises(ProtocolError) as refused:
        load_protocol(_written(tmp_path, text))
    line = text[: text.index("show_own_baseline")].count("\n") + 1
    message = str(refused.value)
    assert f"trial.toml: line {line}" in message and "show_own_baseline" in message
    assert "must be true or false" in message


def test_showing_the_baseline_needs_a_follow_up_visit(tmp_path: Path) -> None:
    first = TEXT.index("[[visits]]")
    later = TEXT.index("[[visits]]", first + 1)
    one_visit = TEXT[:later] + TEXT[TEXT.index("[reading]\n") :]
    text = one_visit.replace("[reading]\n", "[reading]\nshow_own_baseline = true\n", 1)
    with pytest.raises(ProtocolError) as refused:
        load_protocol(_written(tmp_path, text))
    message = str(refused.value)
    assert re.search(r"trial\.toml: line \d+ \(reading\.show_own_baseline\)", message), message
    assert "needs a follow-up visit, but the protocol has 1 visit(s)" in message
    assert "Add the follow-up [[visits]], or remove show_own_baseline." in message
