"""The nbgrader loop end to end on the warm-up, with real nbgrader commands."""
import csv

from harness import Course, nbgrader

WARMUP = "00_warmup"
SIN_SLIP = "def grad_f(x):\n    return x - np.cos(x)\n"


def test_generate_submit_autograde_export(tmp_path):
    course = Course.copy(tmp_path, [WARMUP])
    course.submit(WARMUP, "solver", course.student_notebook(WARMUP))
    course.submit(WARMUP, "blank", course.released(WARMUP))
    course.submit(WARMUP, "slip", course.student_notebook(WARMUP, {"grad_f": SIN_SLIP}))
    course.autograde(WARMUP)

    maxes = course.max_scores(WARMUP)
    auto = {gid for gid in maxes if gid.startswith("test_")}
    assert auto == {"test_dy_dx", "test_grad_f"}
    scores = course.scores(WARMUP)
    assert {g: scores["solver"][g] for g in auto} == {g: maxes[g] for g in auto}
    assert all(scores["blank"][g] == 0 for g in auto)
    assert scores["slip"]["test_grad_f"] == 0
    assert {g: scores["slip"][g] for g in auto - {"test_grad_f"}} == {g: maxes[g] for g in auto - {"test_grad_f"}}

    # The feedback names the mistake for the student, in the error it raised.
    assert "[wrong derivative of sin: d sin(u)/du = +cos(u)]" in course.feedback_errors(WARMUP, "slip")
    assert course.feedback_errors(WARMUP, "solver") == ""

    nbgrader("export", "--to", "grades.csv", cwd=course.root)
    with open(course.root / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    auto_total = sum(maxes[g] for g in auto)
    assert float(rows["solver"]["raw_score"]) == auto_total  # the written answer awaits a human grader
    assert float(rows["blank"]["raw_score"]) == 0
    assert float(rows["slip"]["raw_score"]) == auto_total - maxes["test_grad_f"]
