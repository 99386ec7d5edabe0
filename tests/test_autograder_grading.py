"""`autograder grade` against serial `nbgrader autograde` on the same submissions of the warm-up.

One class, two course copies: copy A is graded by `nbgrader autograde` (serially, as nbgrader does),
copy B -- a fresh course whose gradebook does not know the assignment yet -- by `autograder grade`.
Then scores, feedback, grades.csv and the report are compared.  The class also holds a few tampered
notebooks from tests/submissions/corpus.py: plain nbgrader gives them credit, autograder does not.
"""
import csv
import html
import json
import re
import shutil

import nbformat
import pytest
from harness import BIN, REPO, Course, nbgrader, run

from autograder import sample
from submissions import corpus

WARMUP = "00_warmup"
TRICKS = ["patch_checks", "swallow", "redefine_f", "read_solutions", "hide_traceback"]
ITEMS = ("test_dy_dx", "test_grad_f")
FACTOR2 = "def grad_f(x):\n    return 2 * (x + np.cos(x))\n"
SIN = "def grad_f(x):\n    return x - np.cos(x)\n"
NO_RETURN = "def dy_dx(x):\n    4 * x\n"
# right at the visible test point only: the hidden tests (fresh points, other lengths) catch it
HARDCODED = ("def grad_f(x):\n    if x.shape == (3,) and np.all(x == np.array([0.5, -1.0, 2.0])):\n"
             "        return x + np.cos(x)\n    return x\n")


def hidden_lines():
    """Lines of the warm-up's hidden tests that say something (not the markers, not blank)."""
    nb = nbformat.read(REPO / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                lines.append(line.strip())
    return lines


def page_text(path):
    """What a reader sees of an HTML page: tags removed (highlighting splits code into spans), unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("grading")
    (base / "a").mkdir()
    (base / "b").mkdir()
    serial = Course.copy(base / "a", [WARMUP])
    explicit = {
        "good": {}, "factor2": {"grad_f": FACTOR2}, "sin": {"grad_f": SIN},
        "noreturn": {"dy_dx": NO_RETURN}, "hardcoded": {"grad_f": HARDCODED},
    }
    for student, answers in explicit.items():
        serial.submit(WARMUP, student, serial.student_notebook(WARMUP, answers))
    serial.submit(WARMUP, "blank", serial.released(WARMUP))
    source_nb = nbformat.read(serial.root / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    generated = sample.sample_class(serial.released(WARMUP), source_nb, size=6, seed=3, tampering=False)
    for student, (_, nb) in generated.items():
        serial.submit(WARMUP, student, nb)
    fresh = Course.copy(base / "b", [WARMUP], generate=False)  # no gradebook, nothing released
    corpus.submit_all(serial, [t for t in TRICKS if t != "read_solutions"])
    corpus.submit(serial, "read_solutions", corpus.good(serial, grad_f=corpus.reads(
        fresh.root / "solutions" / WARMUP / f"{WARMUP}.ipynb")))  # the course that autograder grades

    shutil.copytree(serial.root / "submitted", fresh.root / "submitted")
    serial.autograde(WARMUP)
    proc = run([BIN / "autograder", "grade", WARMUP, "--workers", "2", "--quiet"], cwd=fresh.root)
    return serial, fresh, proc


def test_parallel_scores_equal_serial_nbgrader_item_by_item(graded):
    serial, fresh, proc = graded
    expected, got = serial.scores(WARMUP), fresh.scores(WARMUP)
    assert set(got) == set(expected) and len(got) == 12 + len(TRICKS)
    for student in set(expected) - set(TRICKS):
        assert got[student] == expected[student], student
    # the comparison has teeth: the class mixes full, partial and zero scores
    totals = {s: sum(v or 0 for g, v in items.items() if g in ITEMS) for s, items in expected.items()}
    assert totals["good"] == 4 and totals["blank"] == 0 and 0 < totals["factor2"] < 4
    assert "registered 00_warmup in the gradebook" in proc.stdout  # the fresh gradebook learned the assignment


def test_plain_nbgrader_is_fooled_where_autograder_is_not(graded):
    serial, fresh, _ = graded
    theirs, ours = serial.scores(WARMUP), fresh.scores(WARMUP)
    for student in ("patch_checks", "swallow", "redefine_f"):  # wrong grad_f, yet nbgrader gives full points
        assert theirs[student]["test_grad_f"] == 3.0 and ours[student]["test_grad_f"] == 0.0, student

    def printed(course, student):
        nb = nbformat.read(course.root / "autograded" / student / WARMUP / f"{WARMUP}.ipynb", as_version=4)
        return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)

    assert "refused" not in printed(serial, "read_solutions")  # nbgrader's kernel read the solutions
    assert "refused: [Errno 13]" in printed(fresh, "read_solutions")
    assert sum(ours["read_solutions"][g] for g in ITEMS) == 4  # refused, so its (right) answers score as such
    # where nbgrader already protects (the execute reply says "error" even without a traceback), it is used
    assert theirs["hide_traceback"]["test_grad_f"] == 0.0 == ours["hide_traceback"]["test_grad_f"]


def test_feedback_shows_outcomes_but_never_hidden_test_source(graded):
    serial, fresh, _ = graded
    secret = hidden_lines()
    assert len(secret) >= 5
    nbgrader("generate_feedback", WARMUP, "--force", cwd=serial.root)
    theirs = page_text(serial.root / "feedback" / "hardcoded" / WARMUP / f"{WARMUP}.html")
    assert any(line in theirs for line in secret), "plain nbgrader feedback should show the hidden tests (#917)"
    for student in ("good", "factor2", "sin", "hardcoded", "blank"):
        ours = page_text(fresh.root / "feedback" / student / WARMUP / f"{WARMUP}.html")
        leaked = [line for line in secret if line in ours]
        assert not leaked, f"{student}'s feedback shows hidden test source: {leaked}"
        assert "Hidden tests: not shown" in ours
    hardcoded = page_text(fresh.root / "feedback" / "hardcoded" / WARMUP / f"{WARMUP}.html")
    assert "GradientCheckError" in hardcoded and "in the hidden tests" in hardcoded  # outcome kept, line not
    assert "[factor ×2]" in page_text(fresh.root / "feedback" / "factor2" / WARMUP / f"{WARMUP}.html")
    assert "[wrong derivative of sin" in page_text(fresh.root / "feedback" / "sin" / WARMUP / f"{WARMUP}.html")
    assert "[returned None]" in page_text(fresh.root / "feedback" / "noreturn" / WARMUP / f"{WARMUP}.html")
    # feedback made again later (after manual grading in formgrader) hides them too
    page = fresh.root / "feedback" / "hardcoded" / WARMUP / f"{WARMUP}.html"
    page.unlink()
    run([BIN / "autograder", "feedback", WARMUP, "hardcoded"], cwd=fresh.root)
    again = page_text(page)
    assert "Hidden tests: not shown" in again and not [line for line in secret if line in again]


def test_grades_csv_is_nbgraders_export(graded):
    serial, fresh, _ = graded
    nbgrader("export", "--to", "theirs.csv", cwd=serial.root)

    def rows(path):
        with open(path, newline="") as fh:
            return {r["student_id"]: (float(r["raw_score"]), float(r["max_score"])) for r in csv.DictReader(fh)
                    if r["student_id"] not in TRICKS}

    ours, theirs = rows(fresh.root / "grades.csv"), rows(serial.root / "theirs.csv")
    assert ours == theirs and len(ours) == 12


def test_report_counts_diagnoses_and_pass_rates(graded):
    serial, fresh, _ = graded
    summary = json.loads((fresh.root / "reports" / WARMUP / "summary.json").read_text())
    scores, maxes = fresh.scores(WARMUP), fresh.max_scores(WARMUP)
    for gid in ITEMS:
        full = sum(1 for items in scores.values() if items[gid] == maxes[gid])
        assert summary["pass_rate"][gid] == pytest.approx(full / len(scores))
    counts = {d["label"]: d["students"] for d in summary["diagnoses"]}
    assert counts.get("returned None", 0) >= 1
    assert counts.get("wrong derivative of sin: d sin(u)/du = +cos(u)") == 1
    factor2 = [s for s, nb in _autograded(fresh).items() if "[factor ×2]" in nb]
    assert counts.get("factor ×2") == len(factor2) >= 1
    assert (fresh.root / "reports" / WARMUP / "report.png").stat().st_size > 10_000
    assert "Most frequent diagnoses" in (fresh.root / "reports" / WARMUP / "report.html").read_text()
    # the report command redraws it from the gradebook and the autograded notebooks alone
    proc = run([BIN / "autograder", "report", WARMUP], cwd=fresh.root)
    assert "[factor ×2]:" in proc.stdout


def _autograded(course):
    return {p.parts[-3]: p.read_text() for p in (course.root / "autograded").glob(f"*/{WARMUP}/{WARMUP}.ipynb")}
