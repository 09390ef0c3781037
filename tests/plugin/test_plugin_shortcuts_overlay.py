"""Keyboard shortcuts do not clash with napari's; the overlay draws what the corners allow."""

from __future__ import annotations

import pytest
from app_model.types import KeyBinding
from napari_spine_endpoints._model.overlay import overlay_segments
from napari_spine_endpoints._model.placement import CornerLabel, placement_sequence
from napari_spine_endpoints._model.shortcuts import SHORTCUTS, shortcut_help

from imaging.anatomy import Corner, DiscLevel, Vertebra


def _napari_keys() -> set[str]:
    from napari._app_model import get_app_model
    from napari._qt._qapp_model.qactions import init_qactions
    from napari.utils.shortcuts import default_shortcuts

    init_qactions()  # registers the menu actions (File > Open is Ctrl+O, ...) without a window
    keys = {str(kb) for bindings in default_shortcuts.values() for kb in bindings}
    keys |= {str(rule.keybinding) for rule in get_app_model().keybindings}
    return keys


def test_no_shortcut_is_taken_by_napari() -> None:
    taken = _napari_keys()
    assert "Ctrl+O" in taken and "V" in taken  # the collection is real
    ours = [str(KeyBinding.from_str(s.key)) for s in SHORTCUTS]
    assert len(set(ours)) == len(ours)
    assert not set(ours) & taken


def test_help_lists_every_shortcut() -> None:
    text = shortcut_help()
    for shortcut in SHORTCUTS:
        assert shortcut.key in text and shortcut.description in text


def test_overlay_for_one_disc() -> None:
    labels = placement_sequence([Vertebra.L4, Vertebra.L5])
    corners = {
        # L4 body, facing right (anterior = larger col), rows grow downwards
        (Vertebra.L4, Corner.ANTERIOR_SUPERIOR): (100.0, 200.0),
        (Vertebra.L4, Corner.POSTERIOR_SUPERIOR): (100.0, 160.0),
        (Vertebra.L4, Corner.POSTERIOR_INFERIOR): (130.0, 160.0),
        (Vertebra.L4, Corner.ANTERIOR_INFERIOR): (130.0, 200.0),
        (Vertebra.L5, Corner.ANTERIOR_SUPERIOR): (140.0, 200.0),
        (Vertebra.L5, Corner.POSTERIOR_SUPERIOR): (136.0, 160.0),
    }
    positions = {CornerLabel(v, c): p for (v, c), p in corners.items()}
    assert set(positions) <= set(labels)
    segments = {s.name: s for s in overlay_segments(positions, [DiscLevel.L4_L5])}
    assert sorted(segments) == [
        "L4 inferior endplate",
        "L4 superior endplate",
        "L4-L5 anterior height",
        "L4-L5 middle height",
        "L4-L5 posterior height",
        "L5 superior endplate",
    ]
    middle = segments["L4-L5 middle height"]
    assert (middle.start, middle.end) == ((130.0, 180.0), (138.0, 180.0))
    assert segments["L4-L5 anterior height"].end == (140.0, 200.0)


def test_overlay_leaves_out_what_is_not_placed() -> None:
    positions = {CornerLabel(Vertebra.L4, Corner.ANTERIOR_INFERIOR): (1.0, 2.0)}
    assert overlay_segments(positions, ["L4-L5"]) == []


@pytest.mark.parametrize("bad", ["L6-S1", "disc"])
def test_overlay_refuses_unknown_levels(bad: str) -> None:
    with pytest.raises(ValueError, match="not a valid DiscLevel"):
        overlay_segments({}, [bad])
