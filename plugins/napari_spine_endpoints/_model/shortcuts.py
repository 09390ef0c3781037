"""The workstation's keyboard shortcuts, in one table.

Keys are napari key strings ("Shift-N", "Control-Shift-Enter"). None of them is a napari default
(``napari.utils.shortcuts.default_shortcuts``, which the tests check) or a menu shortcut: napari
binds single letters such as A, C, D, E, F, L, P, R, S, T, V, Z and digits 1-7 to layer modes
and viewer actions, so the workstation uses G, K, N, U and W, Shift with D, M, R and T, and
Control-Z / Control-Shift-Z (napari binds them only on Labels layers). The grade keys
(:data:`GRADE_KEYS`) are digits: bound on the Grades step's MR layers only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shortcut:
    """An action of the workstation and the key that triggers it."""

    action: str
    key: str
    description: str


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("next_corner", "N", "Next corner (leaves the current one as it is)"),
    Shortcut("previous_corner", "Shift-N", "Previous corner"),
    Shortcut("skip_corner", "K", "Skip the current corner, with the reason typed in the widget"),
    Shortcut("next_level", "G", "Next level: next vertebra to place, next disc to grade"),
    Shortcut("previous_level", "Shift-G", "Previous disc to grade"),
    Shortcut(
        "window_drag", "W", "Toggle window/level by mouse drag (left-right width, up-down level)"
    ),
    Shortcut("submit_next", "Control-Shift-Enter", "Submit the read and open the next case"),
    Shortcut("refine", "Shift-R", "Refine the current film's clicks (proposals to accept)"),
    Shortcut("accept_proposals", "U", "Use the current film's confident proposals"),
    Shortcut("reject_proposals", "Shift-U", "Reject the current film's proposals (keep clicks)"),
    Shortcut("track", "Shift-T", "Track the current film's corners to the other dynamic film"),
    Shortcut(
        "track_dynamic",
        "Shift-D",
        "Track neutral to flexion and extension, use confident, then Grades",
    ),
    Shortcut("undo", "Control-Z", "Undo the last corner placed, moved, skipped or accepted"),
    Shortcut("redo", "Control-Shift-Z", "Redo it"),
    Shortcut("show_t1", "Shift-M", "Grades: show the T1 series (Modic), again for T2"),
)
GRADE_KEYS: tuple[str, ...] = ("0", "1", "2", "3", "4", "5")
"""Grade keys (1-5 Pfirrmann I-V, 0-3 Modic types): the grade of the current item, then the
next item (after a level's last, the next level). They are napari's layer-mode digits, so they
are bound only on the MR layers of the Grades step (a layer's own binding comes first there),
never on the viewer."""

SHORTCUT_BY_ACTION: dict[str, Shortcut] = {s.action: s for s in SHORTCUTS}


def shortcut_help() -> str:
    """Plain-text table for the widget's help box (the grade keys last)."""
    width = max(len(s.key) for s in SHORTCUTS)
    grades = f"{GRADE_KEYS[0]}-{GRADE_KEYS[-1]}".ljust(width)
    return "\n".join(
        [f"{s.key.ljust(width)}  {s.description}" for s in SHORTCUTS]
        + [f"{grades}  Grade the current item on the MR (1-5 Pfirrmann, 0-3 Modic)"]
    )
