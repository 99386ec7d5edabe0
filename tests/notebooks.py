"""Find and execute the course's notebooks with nbclient (real Jupyter kernels)."""
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def lectures():
    return sorted((REPO / "course").glob("*.ipynb"))


def assignment_notebooks(folder):
    return sorted((REPO / folder).glob("*/*.ipynb"))


def execute(path, allow_errors=False, timeout=600):
    """Run a notebook top to bottom in its own folder; return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    return nb


def errors(nb):
    """(cell index, ename, evalue) for every error output."""
    return [(i, out.ename, out.evalue) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.outputs if out.output_type == "error"]
