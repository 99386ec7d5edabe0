"""Students who try to earn points they did not: every attack class of issue #10, on 00, 05 and 13.

One `autograder grade` per assignment grades a correct student and one student per attack (see
tests/submissions/attacks.py).  Each attack must earn nothing on the item it attacks, with the reason in the
results and in the student's feedback; hidden tests and student HTML never reach a page.
"""
import html
import json
import re

import nbformat
import pytest
from harness import BIN, Course, run

from submissions import attacks

ASSIGNMENTS = ["00_warmup", "05_matrix_derivatives", "13_backpropagation"]
FD_BY_HAND = '''
def grad_f(x):
    h = 1e-6
    x = np.asarray(x, dtype=float)
    return (f(x + h) - f(x - h)) / (2 * h)
'''
# 00_warmup only (they need its given functions): (solution cell, code, item, expected outcome)
EVASIONS = {
    # a copy of f's code taken before grading: not stoppable in the student's kernel, flagged for review
    "code_copy": ("grad_f", '''
import types
_f = types.FunctionType(f.__code__, globals())
def grad_f(x):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x); e.flat[i] = 1e-6
        g.flat[i] = (_f(x + e) - _f(x - e)) / 2e-6
    return g
''', "test_grad_f", "flagged"),
    # the function under check is unavailable while graded: a complex step through it is rejected
    "complex_step": ("dy_dx", '''
def dy_dx(x):
    return (y(x + 1e-20j)).imag / 1e-20
''', "test_dy_dx", "rejected"),
    # a result that computes itself lazily, when the test converts it: not plain data
    "lazy_array": ("grad_f", '''
class Lazy:
    def __init__(self, x): self.x = x
    def __array__(self, *a, **k):
        return np.array([(f(self.x + h) - f(self.x - h)) / 2e-6 for h in np.eye(len(self.x)) * 1e-6])
def grad_f(x):
    return Lazy(x)
''', "test_grad_f", "rejected"),
}


def _hidden_lines(source_nb):
    """Lines found only in the master notebook's hidden-test regions (not in any other cell)."""
    elsewhere = "\n".join(c.source.split("### BEGIN HIDDEN TESTS")[0] + c.source.split("### END HIDDEN TESTS")[-1]
                          for c in source_nb.cells)
    lines = []
    for cell in source_nb.cells:
        inside = False
        for line in cell.source.split("\n"):
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
                continue
            if "### END HIDDEN TESTS" in line:
                inside = False
            if inside and len(line.strip()) > 25 and not line.strip().startswith("#") and line.strip() not in elsewhere:
                lines.append(line.strip())
    return lines


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def attacked(request, tmp_path_factory):
    name = request.param
    course = Course.copy(tmp_path_factory.mktemp(name), [name])
    source = nbformat.read(course.root / "solutions" / name / f"{name}.ipynb", as_version=4)
    released = course.released(name)
    functions = attacks.graded_functions(source)
    cell, function = attacks.checked_function(source, functions)
    expected = {}
    course.submit(name, "correct", course.student_notebook(name))
    for kind in attacks.KINDS:
        code = attacks.attack(kind, function, released)
        if kind == "shadow":  # do not break the other graded functions: only names the tests own
            keep = set(functions.values())
            code = "\n".join(line for line in code.split("\n")
                             if not (line.split(" = ")[0].strip() in keep and line.endswith("None")))
        course.submit(name, kind, course.student_notebook(name, {cell: code}))
        expected[kind] = cell
    course.submit(name, "leak", attacks.leaking(course.student_notebook(name)))
    if name == "00_warmup":
        course.submit(name, "fd_by_hand", course.student_notebook(name, {"grad_f": FD_BY_HAND}))
        for student, (solution, code, _, _) in EVASIONS.items():
            course.submit(name, student, course.student_notebook(name, {solution: code}))
    proc = run([BIN / "autograder", "grade", name, "--quiet"], cwd=course.root, check=False, timeout=1500)
    results = {p.stem: json.loads(p.read_text()) for p in (course.root / "reports" / name / "students").glob("*.json")}
    return {"name": name, "course": course, "proc": proc, "results": results, "scores": course.scores(name),
            "source": source, "function": function, "cell": cell}


def _tested_item(data):
    """The test cell of the attacked function (the first test that calls it)."""
    for cell in data["source"].cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution") and re.search(rf"\b{data['function']}\b", cell.source):
            return meta["grade_id"]
    raise AssertionError(f"no test calls {data['function']}")


def _feedback(data, student):
    folder = data["course"].root / "feedback" / student / data["name"]
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html")))


def test_the_correct_student_gets_every_point(attacked):
    assert attacked["proc"].returncode == 0, attacked["proc"].stderr[-3000:]
    maxes = attacked["course"].max_scores(attacked["name"])
    got = attacked["scores"]["correct"]
    assert {g: got[g] for g in maxes if g.startswith("test_")} == {g: m for g, m in maxes.items() if g.startswith("test_")}


@pytest.mark.parametrize("kind", attacks.KINDS)
def test_an_attack_earns_nothing_and_says_why(attacked, kind):
    item = _tested_item(attacked)
    result = attacked["results"][kind]
    assert attacked["scores"][kind][item] == 0, f"{kind} earned points on {item}"
    message = result["items"][item]["message"]
    assert message, f"{kind}: no reason recorded for {item}"
    page = html.unescape(re.sub(r"<[^>]+>", "", _feedback(attacked, kind)))
    assert message.split(": ", 1)[-1][:60] in page, f"{kind}: the reason is not in the feedback"
    if kind == "liar_array":
        assert "returned a Liar (a subclass of numpy.ndarray)" in message
    if kind == "liar_object":
        assert "returned a Anything" in message
    if kind in ("numerical", "thread") and attacked["name"] == "00_warmup":
        assert "must be derived analytically" in message and "matcalc.numerical_gradient" in message


def test_hidden_tests_and_student_html_never_reach_a_page(attacked):
    course, name = attacked["course"], attacked["name"]
    page = _feedback(attacked, "leak")
    autograded = (course.root / "autograded" / "leak" / name / f"{name}.ipynb").read_text()
    outputs = json.dumps([c.get("outputs", []) for c in json.loads(autograded)["cells"]])
    hidden = _hidden_lines(attacked["source"])
    assert hidden, "the assignment has hidden tests"
    for line in hidden:
        assert line not in page, f"hidden test source in the feedback: {line}"
        assert json.dumps(line)[1:-1] not in outputs, f"hidden test source in a student's output: {line}"
    assert "HISTORY" in page  # the leaking cell ran, and printed
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, re.S | re.I)
    assert not [s for s in scripts if "pwned" in s], "a student's script would run in the feedback"
    assert "pwned-md" in page and 'href="javascript:' not in page.lower()  # the answer shows, as text
    assert '"text/html"' not in outputs and '"application/javascript"' not in outputs
    maxes = course.max_scores(name)
    got = attacked["scores"]["leak"]
    assert {g: got[g] for g in maxes if g.startswith("test_")} == {g: m for g, m in maxes.items() if g.startswith("test_")}


@pytest.mark.parametrize("attacked", ["00_warmup"], indirect=True)
def test_finite_differences_by_hand_are_flagged_for_review(attacked):
    review = " ".join(attacked["results"]["fd_by_hand"].get("review", []))
    assert "finite differences" in review
    assert not attacked["results"]["correct"].get("review")
    report = (attacked["course"].root / "reports" / "00_warmup" / "report.html").read_text()
    assert "fd_by_hand" in report and "finite differences" in report


@pytest.mark.parametrize("attacked", ["00_warmup"], indirect=True)
@pytest.mark.parametrize("student", sorted(EVASIONS))
def test_evading_analytic_derivation_is_rejected_or_flagged(attacked, student):
    _, _, item, outcome = EVASIONS[student]
    result = attacked["results"][student]
    if outcome == "rejected":
        assert attacked["scores"][student][item] == 0
        message = result["items"][item]["message"]
        assert "must be derived analytically" in message or "expected a number, a numpy array" in message, message
    else:
        assert "copies a function's code" in " ".join(result.get("review", [])), result.get("review")
