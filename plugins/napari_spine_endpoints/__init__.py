"""napari front end of spine-endpoints: a thin Qt layer over ``imaging``."""
