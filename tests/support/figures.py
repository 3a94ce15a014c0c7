"""One-line figures a test reports at the end of the run, in pytest's terminal summary."""

from __future__ import annotations

import pytest

_PLUGIN_NAME = "orders-test-figures"


class _Figures:
    """A pytest plugin that writes the lines it collected in the terminal summary."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.section("figures")
        for line in self.lines:
            terminalreporter.write_line(line)


def report_figure(config: pytest.Config, line: str) -> None:
    """Show ``line`` in the terminal summary of this run (output capture does not hide it)."""
    figures = config.pluginmanager.get_plugin(_PLUGIN_NAME)
    if figures is None:
        figures = _Figures()
        config.pluginmanager.register(figures, _PLUGIN_NAME)
    figures.lines.append(line)
