"""Shared pytest setup: show the numerical-accuracy table at the end of every run."""


def pytest_terminal_summary(terminalreporter):
    from test_matcalc_numerical import accuracy_table, format_table

    terminalreporter.section("matcalc accuracy against closed forms (relative error)")
    terminalreporter.write_line(format_table(accuracy_table()))
