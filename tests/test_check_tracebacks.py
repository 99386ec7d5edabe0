"""In a real kernel, a failed check shows the student's cell and the diagnosis, not matcalc's internals."""
import re

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_cells(*sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    return nb


def traceback_text(cell):
    (error,) = [o for o in cell.outputs if o.output_type == "error"]
    return ANSI.sub("", "\n".join(error.traceback))


def test_failed_check_traceback_is_short_and_ends_with_the_diagnosis():
    nb = run_cells(
        "import numpy as np, matcalc as mc\nA = np.arange(12.0).reshape(3, 4)",
        "def grad(X):\n    return A\nmc.check_gradient(grad, lambda X: np.trace(A @ X), np.ones((4, 3)))",
        "def grad(X):\n    return A.T @ np.ones(5)\nmc.check_gradient(grad, lambda X: np.trace(A @ X), np.ones((4, 3)))",
    )
    transposed = traceback_text(nb.cells[1])
    assert "[transposed]" in transposed.splitlines()[-1]
    assert "diagnose.py" not in transposed and transposed.count("matcalc/") <= 1
    assert len(transposed.splitlines()) < 25
    crashed = traceback_text(nb.cells[2])
    assert "return A.T @ np.ones(5)" in crashed  # the student's own failing line is still shown
    assert "[raised an exception]" in crashed and "a matrix product A @ B needs" in crashed.splitlines()[-1]
    assert "diagnose.py" not in crashed
