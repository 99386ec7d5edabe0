"""A notebook of another assignment handed in: named as such ("this is 00_warmup's notebook"), a 0 row for
that student, everyone else graded normally.  Every assignment shares the grade ids ``intro`` and ``imports``,
so sharing a cell proves nothing: :func:`autograder.collect.identify_assignment` matches the whole notebook
against every assignment of the course's ``solutions/``."""
import csv
import json
import shutil

import nbformat
import pytest
from harness import BIN, REPO, Course, run
from nbgrader.api import Gradebook

from autograder import collect, tamper

WARMUP, JACOBIAN, OPTIMALITY, DESCENT = "00_warmup", "03_jacobian", "07_optimality", "08_gradient_descent"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with every assignment's source (what identification compares with); two of them released."""
    course = Course.copy(tmp_path_factory.mktemp("identify"), [WARMUP, JACOBIAN])
    for folder in sorted((REPO / "solutions").iterdir()):
        if folder.is_dir() and not (course.root / "solutions" / folder.name).exists():
            shutil.copytree(folder, course.root / "solutions" / folder.name)
    return course


def released(name):
    return nbformat.read(REPO / "exercises" / name / f"{name}.ipynb", as_version=4)


def test_every_released_notebook_is_identified_as_its_own_assignment(course):
    for folder in sorted((REPO / "exercises").iterdir()):
        if (folder / f"{folder.name}.ipynb").exists():
            assert collect.identify_assignment(released(folder.name), course.root) == folder.name


def test_a_worked_notebook_with_cells_added_and_deleted_is_still_its_own(course):
    nb = course.student_notebook(JACOBIAN)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in ("intro", "imports")]
    nb.cells.insert(3, nbformat.v4.new_code_cell("print('my own scratch work')"))
    nb.cells[5].source += "\n# an edited locked cell"
    assert collect.identify_assignment(nb, course.root) == JACOBIAN


def test_assignments_that_share_more_than_intro_are_told_apart(course):
    # 07 and 08 share the cells `grad_text` and `quadratic_def` besides `intro` and `imports`
    assert collect.identify_assignment(released(OPTIMALITY), course.root) == OPTIMALITY
    assert collect.identify_assignment(released(DESCENT), course.root) == DESCENT


def test_only_the_cells_every_assignment_has_identify_nothing(course):
    nb = released(WARMUP)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in ("intro", "imports")]
    for cell in nb.cells:   # the shared ids alone, with texts of no assignment
        cell.source = "# my notes"
    assert collect.identify_assignment(nb, course.root) is None
    assert collect.identify_assignment(nbformat.v4.new_notebook(), course.root) is None


def expected_cells(course, assignment):
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        return {nb.name: tamper.expected_cells(gb, nb.name, assignment)
                for nb in gb.find_assignment(assignment).notebooks}


def test_inspect_names_the_other_assignment_and_grades_nothing_of_it(course, tmp_path):
    folder = tmp_path / "frank"
    folder.mkdir()
    nbformat.write(course.student_notebook(WARMUP), folder / f"{JACOBIAN}.ipynb")
    seen = collect.inspect(str(folder), expected_cells(course, JACOBIAN), assignment=JACOBIAN, root=course.root)
    assert seen["gradable"] == []
    assert "this is 00_warmup's notebook, not 03_jacobian's" in " ".join(seen["notes"])
    assert not seen["items"] and not seen["general"]   # not tampering: a wrong file

    # the student's own notebook of 03 is gradable, and nothing is said about another assignment
    nbformat.write(course.student_notebook(JACOBIAN), folder / f"{JACOBIAN}.ipynb")
    seen = collect.inspect(str(folder), expected_cells(course, JACOBIAN), assignment=JACOBIAN, root=course.root)
    assert seen["gradable"] == [JACOBIAN] and "notebook, not" not in " ".join(seen["notes"])


def test_autograder_grade_gives_the_other_assignments_notebook_a_zero_row(course, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    nbformat.write(course.student_notebook(WARMUP), uploads / "frank.ipynb")     # 00's notebook, for 03
    nbformat.write(course.student_notebook(JACOBIAN), uploads / "alice.ipynb")
    proc = run([BIN / "autograder", "grade", JACOBIAN, "--submissions", uploads, "--quiet", "--no-report",
                "--no-feedback"], cwd=course.root, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((course.root / "reports" / JACOBIAN / "students" / "frank.json").read_text())
    assert result["status"] == "not gradable"
    assert "this is 00_warmup's notebook, not 03_jacobian's" in " ".join(result["notes"])
    assert "TAMPERING" not in proc.stdout and "this is 00_warmup's notebook" in proc.stdout
    with open(course.root / "grades.csv", newline="") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == JACOBIAN}
    assert float(rows["frank"]["raw_score"]) == 0
    maxes = course.max_scores(JACOBIAN)
    auto = [g for g, s in course.scores(JACOBIAN)["alice"].items()]
    assert sum(course.scores(JACOBIAN)["alice"][g] for g in auto) == sum(maxes[g] for g in auto)
