"""course/README.md lists every lecture once, in order, and every assignment has a lecture and its items."""
import re

import nbformat
import pytest

from notebooks import REPO, lectures

INDEX = REPO / "course" / "README.md"


def linked_notebooks():
    return re.findall(r"\]\((\d\d_[a-z0-9_]+\.ipynb)\)", INDEX.read_text(encoding="utf-8"))


def test_index_lists_each_lecture_once_in_order():
    assert linked_notebooks() == [p.name for p in lectures()]


def test_each_assignment_has_its_lecture():
    lecture_numbers = {p.name[:2] for p in lectures()}
    assignments = sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    assert assignments and all(name[:2] in lecture_numbers for name in assignments), assignments


def test_glossary_gives_korean_terms_for_the_core_concepts():
    glossary = (REPO / "course" / "GLOSSARY.md").read_text(encoding="utf-8")
    for english, korean in [("gradient", "그래디언트"), ("Jacobian", "자코비안"), ("Hessian", "헤시안"),
                            ("chain rule", "연쇄법칙"), ("backpropagation", "역전파"), ("gradient descent", "경사하강법")]:
        assert re.search(rf"^\| {english}\b.*\| [^|]*{korean}", glossary, re.M | re.I), english


CONCEPT_ASSIGNMENTS = sorted(p for p in (REPO / "solutions").iterdir() if p.is_dir() and p.name[:2] != "00")


@pytest.mark.parametrize("folder", CONCEPT_ASSIGNMENTS, ids=[p.name for p in CONCEPT_ASSIGNMENTS])
def test_each_concept_assignment_has_four_auto_graded_items_and_a_written_answer(folder):
    cells = [c for path in sorted(folder.glob("*.ipynb")) for c in nbformat.read(path, as_version=4).cells]
    graded = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all(c.metadata["nbgrader"].get("points", 0) > 0 for c in graded), "a graded cell without points"
    auto = [c for c in graded if c.cell_type == "code"]
    written = [c for c in graded if c.cell_type == "markdown" and c.metadata["nbgrader"].get("solution")]
    hidden = [c for c in auto if "### BEGIN HIDDEN TESTS" in c.source]
    assert len(auto) >= 4 and written, f"{len(auto)} auto-graded items, {len(written)} written answers"
    assert len(hidden) == len(auto), "every auto-graded item needs hidden tests at fresh points"
