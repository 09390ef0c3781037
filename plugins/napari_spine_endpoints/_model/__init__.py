"""The workstation's logic, with no Qt and no napari: widgets only turn clicks into calls here."""
