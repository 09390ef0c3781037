"""The reading vocabularies: every spelling a landmark file or a reader may use names one member."""

from __future__ import annotations

import pytest

from imaging.anatomy import Corner, DiscLevel, Film, Vertebra


@pytest.mark.parametrize(
    ("kind", "written", "member"),
    [
        (Vertebra, Vertebra.L4, Vertebra.L4),
        (Vertebra, "L4", Vertebra.L4),
        (Vertebra, " l4 ", Vertebra.L4),
        (Corner, "anterior_superior", Corner.ANTERIOR_SUPERIOR),
        (Corner, "Anterior Superior", Corner.ANTERIOR_SUPERIOR),
        (Corner, "ANTERIOR_SUPERIOR", Corner.ANTERIOR_SUPERIOR),
        (DiscLevel, "L4-L5", DiscLevel.L4_L5),
        (DiscLevel, "L4/5", DiscLevel.L4_L5),
        (DiscLevel, "l5s1", DiscLevel.L5_S1),
        (Film, "Flexion", Film.FLEXION),
    ],
)
def test_each_spelling_names_the_one_member(kind: type, written: object, member: object) -> None:
    assert kind(written) is member


@pytest.mark.parametrize(
    ("kind", "written", "valid"),
    [
        (Vertebra, "L6", "valid: T12, L1, L2, L3, L4, L5, S1"),
        (Corner, Vertebra.L4, "valid: anterior_superior, posterior_superior"),
        (Film, 3, "valid: neutral, flexion, extension"),
        (DiscLevel, "L4-L6", "valid: T12-L1"),
    ],
)
def test_an_unknown_name_is_refused_with_the_valid_ones(
    kind: type, written: object, valid: str
) -> None:
    with pytest.raises(ValueError, match=f"{written!r} is not a valid {kind.__name__}; {valid}"):
        kind(written)


def test_corners_read_and_order_cranial_to_caudal() -> None:
    assert [v.position for v in Vertebra] == list(range(7))
    assert Vertebra.S1.corners == (Corner.ANTERIOR_SUPERIOR, Corner.POSTERIOR_SUPERIOR)
    assert Vertebra.T12.corners == tuple(Corner)
    assert DiscLevel.L5_S1.upper_vertebra is Vertebra.L5
