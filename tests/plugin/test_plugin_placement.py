"""Guided placement: the label sequence and the reader's actions, without a display."""

from __future__ import annotations

import pytest
from napari_spine_endpoints._model.placement import (
    CornerLabel,
    PlacementState,
    placement_sequence,
    vertebrae_for_levels,
)

from imaging.anatomy import Corner, DiscLevel, Vertebra

L4_AS = CornerLabel(Vertebra.L4, Corner.ANTERIOR_SUPERIOR)


def test_sequence_goes_cranial_to_caudal_round_each_body() -> None:
    labels = placement_sequence([Vertebra.L5, "L4", "S1"])
    assert [x.text for x in labels] == [
        "L4 anterior-superior",
        "L4 posterior-superior",
        "L4 posterior-inferior",
        "L4 anterior-inferior",
        "L5 anterior-superior",
        "L5 posterior-superior",
        "L5 posterior-inferior",
        "L5 anterior-inferior",
        "S1 anterior-superior",
        "S1 posterior-superior",
    ]


def test_lumbar_levels_need_l1_to_s1_corners() -> None:
    levels = ["L1-L2", "L2-L3", "L3-L4", "L4-5", "L5/S1"]
    assert vertebrae_for_levels(levels) == (
        Vertebra.L1, Vertebra.L2, Vertebra.L3, Vertebra.L4, Vertebra.L5, Vertebra.S1
    )  # fmt: skip
    assert len(PlacementState.for_levels(levels).labels) == 5 * 4 + 2


def test_label_text_round_trips() -> None:
    for label in placement_sequence(list(Vertebra)):
        assert CornerLabel.parse(label.text) == label
    assert CornerLabel.parse("L4/posterior_inferior").corner is Corner.POSTERIOR_INFERIOR


def test_place_advances_and_names_the_next_corner() -> None:
    state = PlacementState.for_levels([DiscLevel.L4_L5])
    assert state.prompt == "Place L4 anterior-superior"
    assert state.place(10, 20) == L4_AS
    assert state.positions[L4_AS] == (10.0, 20.0)
    assert state.prompt == "Place L4 posterior-superior"
    assert state.progress == (1, 8)


def test_skip_needs_a_reason_and_counts_as_done() -> None:
    state = PlacementState.for_levels([DiscLevel.L5_S1])
    with pytest.raises(ValueError, match="needs a reason"):
        state.skip("  ")
    state.skip("overlapped by the iliac crest")
    assert state.skipped[CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)].startswith(
        "overlapped"
    )
    for index in range(5):
        state.place(index, index)
    assert state.current is None
    assert state.is_complete
    assert state.prompt == "All corners placed or skipped"


def test_go_back_replaces_and_then_resumes_the_first_open_corner() -> None:
    state = PlacementState.for_levels([DiscLevel.L4_L5])
    state.place(1, 1)
    state.place(2, 2)
    state.previous_corner()
    state.previous_corner()
    assert state.current == L4_AS
    assert state.prompt == "Re-place L4 anterior-superior (click to move it)"
    state.place(5, 5)
    assert state.positions[L4_AS] == (5.0, 5.0)
    assert state.current == CornerLabel(Vertebra.L4, Corner.POSTERIOR_INFERIOR)


def test_next_corner_leaves_a_gap_that_placement_wraps_back_to() -> None:
    state = PlacementState.for_levels([DiscLevel.L5_S1])
    state.next_corner()  # leave L5 anterior-superior open
    for index in range(5):
        state.place(index, index)
    assert state.current == CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)
    assert state.missing() == [CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)]


def test_next_level_jumps_to_the_next_vertebra() -> None:
    state = PlacementState.for_levels([DiscLevel.L3_L4, DiscLevel.L4_L5])
    state.next_level()
    assert state.current == L4_AS
    state.next_level()
    state.next_level()  # already on the last vertebra: stays
    assert state.current == CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)


def test_next_level_when_every_corner_is_placed_arms_no_corner() -> None:
    """G goes on to the next disc to grade: a placed corner must not become the one a click
    moves (the click that focuses the canvas would move it)."""
    state = PlacementState.for_levels([DiscLevel.L4_L5])
    for index in range(len(state.labels)):
        state.place(index, index)
    state.next_level()
    assert state.current is None and state.prompt == "All corners placed or skipped"


def test_move_and_remove_notify_listeners() -> None:
    state = PlacementState.for_levels([DiscLevel.L4_L5])
    calls: list[int] = []
    state.subscribe(lambda: calls.append(1))
    state.place(1, 2)
    state.move(L4_AS, 3.5, 4.5)
    assert state.positions[L4_AS] == (3.5, 4.5)
    state.remove(L4_AS)
    assert L4_AS not in state.positions
    assert state.current == L4_AS
    assert len(calls) == 3


def test_load_restores_a_draft() -> None:
    state = PlacementState.for_levels([DiscLevel.L4_L5])
    l5_as = CornerLabel(Vertebra.L5, Corner.ANTERIOR_SUPERIOR)
    state.load({L4_AS: (1.0, 2.0)}, {l5_as: "not visible"})
    assert state.positions == {L4_AS: (1.0, 2.0)}
    assert state.skipped == {l5_as: "not visible"}
    assert state.current == CornerLabel(Vertebra.L4, Corner.POSTERIOR_SUPERIOR)


def test_placing_when_done_is_refused() -> None:
    state = PlacementState([L4_AS])
    state.place(0, 0)
    with pytest.raises(ValueError, match="already placed"):
        state.place(1, 1)


def test_a_protocol_without_disc_levels_has_nothing_to_place() -> None:
    placement = PlacementState.for_levels(())
    assert placement.labels == () and placement.current is None and placement.is_complete
    assert placement.prompt.startswith("No corners to place in this protocol")
    placement.next_corner()
    placement.previous_corner()
    placement.next_level()
    assert placement.current is None and placement.progress == (0, 0)
    with pytest.raises(ValueError, match="already placed or skipped"):
        placement.place(1.0, 2.0)


def test_undo_and_redo_take_back_placing_moving_and_skipping_one_change_at_a_time() -> None:
    state = PlacementState(placement_sequence([Vertebra.L4]))
    first, second = state.labels[0], state.labels[1]
    state.place(10.0, 20.0)
    state.move(first, 12.0, 21.0)
    state.skip("not visible on the film")  # the second corner
    assert state.undo()  # the skip
    assert second not in state.skipped and state.current == second
    assert state.undo()  # the move: the corner is back where it was clicked
    assert state.positions == {first: (10.0, 20.0)} and state.records[first].used.value == "click"
    assert state.undo() and not state.positions and state.current == first
    assert not state.undo() and not state.can_undo  # nothing left
    assert state.redo() and state.positions == {first: (10.0, 20.0)}
    assert state.redo() and state.positions == {first: (12.0, 21.0)}
    state.place(30.0, 40.0)  # a new change: what could be redone is gone
    assert not state.redo()
    assert state.positions[second] == (30.0, 40.0)
