"""Every assignment of the course goes through `autograder grade` as the class will hand it in.

The sandbox and the checker must not mistake the course's own test cells for tampering: a correct
submission gets every auto-graded point with nothing flagged, an untouched release gets none, and both
scores equal those of plain `nbgrader autograde`.
"""
import json

import pytest

from harness import BIN, Course, run
from notebooks import REPO

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_work_gets_every_point_and_blank_work_none(tmp_path, assignment):
    course = Course.copy(tmp_path, [assignment])
    course.submit(assignment, "correct", course.student_notebook(assignment))
    course.submit(assignment, "blank", course.released(assignment))
    run([BIN / "autograder", "grade", assignment, "--quiet", "--no-report"], cwd=course.root)

    results = {s: json.loads((course.root / "reports" / assignment / "students" / f"{s}.json").read_text())
               for s in ("correct", "blank")}
    maxes = course.max_scores(assignment)
    scores = course.scores(assignment)
    auto = {gid for gid in scores["correct"] if gid.startswith("test_")}
    assert auto, f"{assignment} has no auto-graded items"
    for student, result in results.items():
        assert result["status"] == "graded", (student, result.get("notes"))
        tampering = result.get("tampering") or {}
        assert not tampering.get("general") and not tampering.get("items"), (student, tampering)
    assert {g: scores["correct"][g] for g in auto} == {g: maxes[g] for g in auto}, results["correct"]["items"]
    assert {g: scores["blank"][g] for g in auto} == dict.fromkeys(auto, 0)

    course.autograde(assignment)          # plain nbgrader on the same submissions: the same scores
    assert course.scores(assignment) == scores
