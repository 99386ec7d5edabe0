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
    upstream, student, teacher = tmp_path / "upstream.git", tmp_path / "student", tmp_path / "teacher"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(REPO), str(upstream)], env=env(), check=True, timeout=300)
    for clone in (student, teacher):
        subprocess.run(["git", "clone", "--quiet", str(upstream), str(clone)], env=env(), check=True, timeout=300)
        git(clone, "config", "user.email", f"{clone.name}@example.invalid")
        git(clone, "config", "user.name", clone.name)

    # without the filter (a clone where `make install` never ran), outputs would be committed
    executed = run_lecture(student)
    git(student, "add", LECTURE)
    assert any(outputs(staged(student, LECTURE)))
    git(student, "reset", "--quiet")
    git(student, "checkout", "--", LECTURE)

    # `make install`'s git step, with this test's environment as the clone's .venv
    subprocess.run(["make", "--no-print-directory", "git-filter", f"VENV={sys.prefix}"], cwd=student, env=env(),
                   check=True, capture_output=True, timeout=120)
    clean = shlex.split(git(student, "config", "filter.nbstripout.clean"))
    tracked = git(student, "ls-files", "*.ipynb").split()
    changed = subprocess.run(clean + ["--dry-run", *tracked], cwd=student, env=env(), capture_output=True,
                             text=True, check=True, timeout=300).stdout
    assert changed == "", f"the filter would change committed notebooks:\n{changed}"
    as_filtered = subprocess.run(clean + ["--textconv", LECTURE], cwd=student, env=env(), capture_output=True,
                                 check=True, timeout=120).stdout
    assert as_filtered == (student / LECTURE).read_bytes()   # byte for byte: git sees no change

    # the lecture run again, outputs saved: nothing to commit, and `git pull` brings the teacher's fix
    nbformat.write(executed, student / LECTURE)
    assert git(student, "diff") == ""
    git(student, "add", "--all")
    assert git(student, "status", "--porcelain") == ""
    fixed = nbformat.read(teacher / LECTURE, as_version=4)
    fixed.cells[0].source = "A corrected first paragraph.\n\n" + fixed.cells[0].source
    nbformat.write(fixed, teacher / LECTURE)
    git(teacher, "commit", "--quiet", "--all", "--message", "lecture 00: a correction")
    git(teacher, "push", "--quiet")
    git(student, "pull", "--quiet", "--no-rebase")
    assert nbformat.read(student / LECTURE, as_version=4).cells[0].source.startswith("A corrected first paragraph.")

    # a real change, saved with outputs, is committed without them
    executed = run_lecture(student)
    executed.cells[0].source += "\n\nMy own note."
    nbformat.write(executed, student / LECTURE)
    git(student, "add", LECTURE)
    stored = staged(student, LECTURE)
    assert not any(outputs(stored))
    assert "".join(stored["cells"][0]["source"]).endswith("My own note.")
    assert [c["id"] for c in stored["cells"]] == [c.id for c in executed.cells]
