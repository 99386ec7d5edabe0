"""Lectures 02, 03, 05-08 and their assignments: errata linked once, a Korean summary, a complete glossary, and a
point rubric with a model answer for every written item, visible to graders and never released."""
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
LECTURES = ["02_gradient", "03_jacobian", "05_matrix_derivatives", "06_hessian", "07_optimality", "08_gradient_descent"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def cells(path):
    return nbformat.read(path, as_version=4).cells


@pytest.mark.parametrize("name", LECTURES)
def test_lecture_links_the_errata_once_and_keeps_no_correction_inline(name):
    text = "\n".join(c.source for c in cells(REPO / "course" / f"{name}.ipynb") if c.cell_type == "markdown")
    assert text.count("ERRATA.md#lecture-" + name[:2]) == 1 and text.count("ERRATA.md") == 1
    assert not re.search(r"(note on|correction of) the source post", text, re.I)
    assert all(c.source.strip() for c in cells(REPO / "course" / f"{name}.ipynb")), "an empty cell"
    errata = (REPO / "course" / "ERRATA.md").read_text(encoding="utf-8")
    assert f"\n## Lecture {name[:2]}\n" in errata


@pytest.mark.parametrize("name", LECTURES)
def test_lecture_ends_with_a_korean_summary(name):
    last = cells(REPO / "course" / f"{name}.ipynb")[-1]
    assert last.cell_type == "markdown" and "Korean summary" in last.source.splitlines()[0]
    assert len(HANGUL.findall(last.source)) > 100


def test_glossary_has_the_course_terms_with_textbook_forms_beside_loanwords():
    glossary = (REPO / "course" / "GLOSSARY.md").read_text(encoding="utf-8")
    for term in ["고윳값", "고유벡터", "양의 정부호", "조건수", "정류점", "방향 도함수", "전미분", "교차 엔트로피", "로짓",
                 "결정 경계", "전치", "대각합", "행렬식", "원소별 연산", "분자 레이아웃", "분모 레이아웃",
                 "아래로 볼록", "위로 볼록"]:
        assert re.search(rf"^\|[^|]+\|[^|]*{term}", glossary, re.M), term
    for loan, textbook in [("편미분", "편도함수"), ("자코비안", "야코비 행렬"), ("헤시안", "헤세 행렬")]:
        assert re.search(rf"^\|[^|]+\|[^|]*{loan}[^|]*{textbook}", glossary, re.M), (loan, textbook)


WRITTEN = [(name, c) for name in LECTURES
           for c in cells(REPO / "solutions" / name / f"{name}.ipynb")
           if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("name, cell", WRITTEN, ids=[c.metadata["nbgrader"]["grade_id"] for _, c in WRITTEN])
def test_written_item_has_a_rubric_and_model_answer_inside_its_solution(name, cell):
    source = cell.source.strip()
    assert source.startswith("### BEGIN SOLUTION") and source.endswith("### END SOLUTION")
    points = cell.metadata["nbgrader"]["points"]
    assert "**Model answer.**" in source and f"**Rubric ({points} point" in source
    released = [c for c in cells(REPO / "exercises" / name / f"{name}.ipynb")
                if c.metadata.get("nbgrader", {}).get("grade_id") == cell.metadata["nbgrader"]["grade_id"]]
    assert released and "Rubric" not in released[0].source and "Model answer" not in released[0].source
