"""Speed benchmarks: plain scripts that print ratios against a baseline measured in the same run.

``python -m benchmarks`` runs every ``bench_*.py`` here in turn; ``python -m benchmarks NAME``
runs those whose name contains NAME. See README.md for the list and the targets.
"""
