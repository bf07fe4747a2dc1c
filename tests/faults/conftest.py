"""Fault tests: every run's figures again at the end of the session, one line each."""

from __future__ import annotations

import pytest

from tests.faults.report import FINISHED, RESULTS_DIR


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FINISHED:
        return
    terminalreporter.section("fault runs")
    for figures in FINISHED:
        terminalreporter.write_line(figures.line())
    terminalreporter.write_line(f"JSON summaries in {RESULTS_DIR}")
