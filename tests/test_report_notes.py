"""What the instructor reads after grading: notes shortened only between words, each diagnosis said once,
no diagnoses counted for a student zeroed for tampering, and sample answers free of nbgrader's markers."""
import re

import nbformat
import numpy as np
import pytest
from harness import REPO

import matcalc as mc
from autograder import report, sample

LONG = ("the kernel ran out of memory (the limit is 768 MB) while computing the transpose of the Jacobian "
        "and the derivative of the loss with respect to every weight of the network, so the remaining "
        "cells were not run")


def is_cut_between_words(short, full):
    if short == full:
        return True
    assert short.endswith("…"), short
    kept = short[:-1].rstrip()
    return full.startswith(kept) and full[len(kept)] in " ,;:"


@pytest.mark.parametrize("width", [20, 37, 60, 101, 150])
def test_shorten_cuts_only_between_words(width):
    short = report.shorten(LONG, width)
    assert len(short) <= width and is_cut_between_words(short, LONG)
    assert report.shorten("short note", width) == "short note"


def test_the_table_of_a_run_never_cuts_a_note_mid_word():
    results = {"alice": {"status": "graded", "notes": [LONG], "items": {}},
               "bob": {"status": "graded", "notes": [],
                       "items": {f"test_item_{i}": {"status": "failed", "diagnosis": "transposed"} for i in range(12)}}}
    lines = report.table_lines(results, scores={}, maxes={"test_item_0": 1.0}, width=150)
    notes = {line.split()[0]: line.split("  ")[-1].strip() for line in lines[1:]}
    assert is_cut_between_words(notes["alice"], LONG)
    listing = "failed: " + ", ".join(f"test_item_{i} [transposed]" for i in range(12))
    assert is_cut_between_words(notes["bob"], listing) and "[transpose…" not in notes["bob"]


def graded_cell(evalue, ename="GradientCheckError"):
    cell = nbformat.v4.new_code_cell("check()", execution_count=1)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 3,
                                 "grade_id": "test_grad_f", "schema_version": 3}
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    return nb


def matcalc_message(**mistakes):
    """The message of a real failed check: grad_f returns exactly what the named mistake gives."""
    def f(x):
        return float(np.sum(np.sin(x)))

    def wrong(x):
        return -np.cos(x)

    with pytest.raises(mc.GradientCheckError) as caught:
        mc.check_gradient(wrong, f, np.array([0.3, -1.2, 2.0]), mistakes=mistakes, name="grad_f")
    return str(caught.value)


def test_a_diagnosis_is_said_once():
    label = "sign error: d cos = -sin"
    evalue = matcalc_message(**{label: lambda x: -np.cos(x)})
    item = report.item_outcomes(graded_cell(evalue))[0]
    assert item["diagnosis"] == label
    said = report.describe(item)
    assert said.count(label) == 1, said
    assert said.startswith(f"[{label}] grad_f")


def test_a_diagnosis_without_a_repeated_label_is_kept_whole():
    evalue = matcalc_message()   # the sign of every entry is wrong: matcalc's own wording
    item = report.item_outcomes(graded_cell(evalue))[0]
    said = report.describe(item)
    body = evalue.split("] ", 1)[1]
    assert said == f"[{item['diagnosis']}] {body}"


def student(diagnosis, tampering=None, status="graded"):
    return {"scores": {"test_grad_f": 0.0}, "auto_total": 0.0, "status": status,
            "items": {"test_grad_f": {"diagnosis": diagnosis, "status": "failed"}},
            "notes": [], "tampering": tampering or {}}


def test_the_report_counts_no_diagnosis_of_a_student_zeroed_for_tampering():
    data = {"assignment": "00_warmup", "max": {"test_grad_f": 3.0}, "auto": ["test_grad_f"],
            "students": {"ann": student("factor ×2"), "ben": student("factor ×2"),
                         "cy": student("factor ×2", {"general": ["numpy.allclose was replaced"]}),
                         "di": student("factor ×2", {"items": {"test_grad_f": ["the test cell was edited"]}})}}
    summary = report.summarize(data)
    assert summary["diagnoses"] == [("factor ×2", 2, {"test_grad_f": 2})]
    assert summary["tampered"] == ["cy", "di"]


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir()))
def test_sample_answers_carry_no_solution_markers(assignment):
    path = REPO / "solutions" / assignment / f"{assignment}.ipynb"
    source_nb = nbformat.read(path, as_version=4)
    released = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    for kind, nb in sample.sample_class(released, source_nb, size=12).values():
        for cell in nb.cells:
            assert not re.search(r"### (BEGIN|END) SOLUTION", cell.source), (assignment, kind, cell.source[-200:])
