"""course/README.md lists every lecture once, in order, and every assignment has a lecture."""
import re

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
