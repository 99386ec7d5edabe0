"""Assignment 15 is derived, not transcribed: its graded functions are not the lecture's, and the release holds
no answer (neither a solution line nor a hidden test's reference)."""
import re

import nbformat

from harness import REPO
from lecture import code_text

NAME = "15_softmax_cross_entropy"
SOURCE = REPO / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = REPO / "exercises" / NAME / f"{NAME}.ipynb"
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


def graded_functions():
    cells = nbformat.read(SOURCE, as_version=4).cells
    return [c.metadata["nbgrader"]["grade_id"] for c in cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def test_graded_functions_are_not_defined_in_the_lecture():
    names = graded_functions()
    assert len(names) >= 4
    lecture = code_text(NAME)
    for name in names:
        assert not re.search(rf"^\s*def {name}\(", lecture, re.M), f"lecture 15 defines the graded {name}"


def test_release_contains_no_solution_line_and_no_hidden_reference():
    released = "\n".join(c.source for c in nbformat.read(RELEASE, as_version=4).cells)
    regions = [(kind, body) for c in nbformat.read(SOURCE, as_version=4).cells for kind, body in REGION.findall(c.source)]
    solution_lines = [line.strip() for kind, body in regions if kind == "SOLUTION" for line in body.splitlines()
                      if len(line.strip()) > 12 and not line.strip().startswith("#")]
    assert len(solution_lines) >= 8
    leaked = [line for line in solution_lines if line in released]
    assert not leaked, f"released solution lines: {leaked}"
    hidden_defs = [name for kind, body in regions if kind == "HIDDEN TESTS"
                   for name in re.findall(r"^def (\w+)\(", body, re.M)]
    assert len(hidden_defs) >= 8
    assert not [name for name in hidden_defs if re.search(rf"\b{name}\b", released)], "a hidden reference or mistake list is released"


def test_written_answer_keeps_its_rubric_out_of_the_release():
    source = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(SOURCE, as_version=4).cells}
    answer = source["smoothing_answer"]
    assert answer.cell_type == "markdown" and answer.metadata["nbgrader"]["points"] == 3
    assert "**Rubric (3 points).**" in answer.source and "**Model answer.**" in answer.source
    released = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(RELEASE, as_version=4).cells}
    assert "Rubric" not in released["smoothing_answer"].source
    assert "Model answer" not in released["smoothing_answer"].source
