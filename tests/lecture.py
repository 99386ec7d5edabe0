"""What a lecture states and computes, for the formula tests: they check the lecture, not a copy of it.

    ns = lecture_namespace("05_matrix_derivatives")   # the lecture's variables after running its code
    ns["grad_trace"](X, A)                             # a function the lecture defines
    text = lecture_text("05_matrix_derivatives")       # its markdown, to find a stated number or formula

The lecture's code cells run once per test process, in order, in this interpreter (the course's own code is
trusted), with matplotlib's non-interactive backend; IPython magics (``%…``) are skipped.
"""
import contextlib
import functools
import io
import os
from pathlib import Path

import matplotlib
import nbformat

REPO = Path(__file__).resolve().parents[1]


def _notebook(name):
    return nbformat.read(REPO / "course" / f"{name}.ipynb", as_version=4)


@functools.lru_cache(maxsize=None)
def lecture_namespace(name):
    """Run the lecture's code cells top to bottom; return its global namespace (a fresh dict per lecture)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = {"__name__": f"lecture_{name}"}
    cwd = os.getcwd()
    os.chdir(REPO / "course")
    try:
        for index, cell in enumerate(_notebook(name).cells):
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"{name}.ipynb cell {index + 1}", "exec"), ns)
            plt.close("all")
    finally:
        os.chdir(cwd)
    return ns


@functools.lru_cache(maxsize=None)
def lecture_text(name):
    """The lecture's markdown cells, joined."""
    return "\n\n".join(c.source for c in _notebook(name).cells if c.cell_type == "markdown")


def code_text(name):
    """The lecture's code cells, joined (to check a formula is what the code computes)."""
    return "\n\n".join(c.source for c in _notebook(name).cells if c.cell_type == "code")
