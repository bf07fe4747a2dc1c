"""Loaded by workers with `--include`: from then on each message they send goes out twice."""

from tests.faults.duplicate import install

install()
