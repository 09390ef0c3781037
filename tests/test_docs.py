"""Generated documentation pages equal what the code gives now, so they cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from imaging.measures import MEASURES

REPOSITORY = Path(__file__).resolve().parents[1]


def make_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_docs", REPOSITORY / "scripts" / "make_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_measures_page_is_what_the_registry_gives() -> None:
    committed = (REPOSITORY / "docs" / "measures.md").read_text(encoding="utf-8")

    assert committed == make_docs().measures_page(), "run: python scripts/make_docs.py"


def test_measures_page_lists_every_measure_once_with_unit_title_and_source() -> None:
    page = make_docs().measures_page()

    for measure in MEASURES.values():
        (row,) = [line for line in page.splitlines() if line.startswith(f"| `{measure.name}` |")]
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[1:4] == [measure.unit, str(measure.decimals), measure.title]
        assert cells[-1] == measure.source


def test_check_mode_reports_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = make_docs()
    monkeypatch.setattr(module, "DOCS", tmp_path)
    (tmp_path / "measures.md").write_text("# Measures\n\nedited by hand\n", encoding="utf-8")

    assert module.main(["--check"]) == 1
    assert module.main([]) == 0
    assert module.main(["--check"]) == 0
    assert (tmp_path / "measures.md").read_text(encoding="utf-8") == module.measures_page()
