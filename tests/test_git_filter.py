"""In a clone set up by `make install`, running a notebook never puts its outputs into git.

`.gitattributes` sends every notebook through the nbstripout filter that `make install` (its `git-filter`
step) defines for the clone; cell ids stay as committed (``--keep-id``), so the committed notebooks are
unchanged by the filter and JupyterLab's outputs are simply not what git sees.
"""
import json
import shlex
import subprocess
import sys

import nbformat
from harness import REPO, env
from nbclient import NotebookClient

LECTURE = "course/00_how_this_course_works.ipynb"


def git(clone, *args):
    return subprocess.run(["git", "-C", str(clone), *args], env=env(), capture_output=True, text=True,
                          check=True, timeout=300).stdout


def staged(clone, path):
    return json.loads(git(clone, "show", f":{path}"))


def run_lecture(clone):
    """Run the lecture as a student does in JupyterLab, saving its outputs into the tracked file."""
    path = clone / LECTURE
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the lecture printed nothing"
    nbformat.write(nb, path)
    return nb


def outputs(nb):
    return [c.get("outputs") or c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]


def test_outputs_stay_out_of_git_in_a_clone_set_up_by_make_install(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], env=env(), check=True, timeout=300)
    git(clone, "config", "user.email", "student@example.invalid")
    git(clone, "config", "user.name", "Student")

    # without the filter (a clone where `make install` never ran), outputs would be committed
    executed = run_lecture(clone)
    git(clone, "add", LECTURE)
    assert any(outputs(staged(clone, LECTURE)))
    git(clone, "reset", "--quiet")
    git(clone, "checkout", "--", LECTURE)

    # `make install`'s git step, with this test's environment as the clone's .venv
    subprocess.run(["make", "--no-print-directory", "git-filter", f"VENV={sys.prefix}"], cwd=clone, env=env(),
                   check=True, capture_output=True, timeout=120)
    clean = shlex.split(git(clone, "config", "filter.nbstripout.clean"))
    tracked = git(clone, "ls-files", "*.ipynb").split()
    changed = subprocess.run(clean + ["--dry-run", *tracked], cwd=clone, env=env(), capture_output=True, text=True,
                             check=True, timeout=300).stdout
    assert changed == "", f"the filter would change committed notebooks:\n{changed}"
    as_filtered = subprocess.run(clean + ["--textconv", LECTURE], cwd=clone, env=env(), capture_output=True,
                                 check=True, timeout=120).stdout
    assert as_filtered == (clone / LECTURE).read_bytes()   # byte for byte: git sees no change

    nbformat.write(executed, clone / LECTURE)          # the lecture run again, outputs saved
    assert git(clone, "status", "--porcelain") == ""   # nothing to commit, nothing for `git pull` to clash with

    executed.cells[0].source += "\n\nMy own note."       # a real change, saved with the outputs
    nbformat.write(executed, clone / LECTURE)
    git(clone, "add", LECTURE)
    stored = staged(clone, LECTURE)
    assert not any(outputs(stored))
    assert stored["cells"][0]["source"].endswith("My own note.")
    assert [c["id"] for c in stored["cells"]] == [c.id for c in executed.cells]
