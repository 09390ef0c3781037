"""Qt widgets of the workstation: they turn clicks into model calls and redraw from the model."""
