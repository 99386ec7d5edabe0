"""Tampering, seen from the grader: a submission compared with the gradebook.

nbgrader already protects some things and we rely on it: a locked cell whose checksum changed gets its
source back from the gradebook, changed points are reset, the kernelspec is overwritten.  What it does not
do is *say* so, or withhold credit: :func:`compare_with_gradebook` names every such change so that the item
gets no credit and the reason appears in the results.  Student code that rewrites what tests rely on
cannot change a verdict at all: tests run in the trusted checker (:mod:`autograder.checker`).
"""
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from nbformat import NotebookNode

TAMPERING = "TamperingDetected"


def released_source(source):
    """What the student saw of a locked cell: its source without the hidden-test region (nbgrader's code)."""
    cell = NotebookNode(source=source, cell_type="code", metadata={})
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell.source


def expected_cells(gradebook, notebook, assignment):
    """{grade_id: what the gradebook knows of the cell} for one notebook of an assignment."""
    nb = gradebook.find_notebook(notebook, assignment)
    cells = {}
    for cell in nb.source_cells:
        cells[cell.name] = {"cell_type": cell.cell_type, "locked": bool(cell.locked), "source": cell.source,
                            "grade": False, "solution": False, "points": None}
    for cell in nb.grade_cells:
        cells.setdefault(cell.name, {"cell_type": cell.cell_type, "locked": True, "source": None})
        cells[cell.name].update(grade=True, points=float(cell.max_score))
    for cell in nb.solution_cells:
        cells.setdefault(cell.name, {"cell_type": "code", "locked": False, "source": None, "grade": False,
                                     "points": None})
        cells[cell.name]["solution"] = True
    return cells


def compare_with_gradebook(nb, expected):
    """Changes a submission made to the cells the instructor owns.

    Returns ``(per_item, general)``: ``per_item`` maps the grade_id of a *test* cell to the reasons it
    gets no credit; ``general`` lists the reasons that concern no single test (they fail every test).
    """
    per_item, general = {}, []
    seen = {}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or "grade_id" not in meta:
            continue
        gid = meta.get("grade_id")
        if gid in seen:
            continue
        seen[gid] = cell
        known = expected.get(gid)
        if known is None:
            if meta.get("grade") or meta.get("locked"):
                original = _same_source(cell, expected)
                if original:
                    per_item.setdefault(original, []).append(
                        f"the grade id of the test cell '{original}' was changed to '{gid}'")
                else:
                    general.append(f"cell {index + 1} carries the grade id '{gid}', which this assignment does not "
                                   "have (a changed or invented grade id)")
            continue
        test = known["grade"] and not known["solution"]
        reasons = []
        if known["grade"] and meta.get("points") is not None:
            try:
                changed = float(meta["points"]) != known["points"]
            except (TypeError, ValueError):
                changed = True
            if changed:
                reasons.append(f"the points of '{gid}' were changed from {known['points']:g} to {meta['points']!r} "
                               "(nbgrader restored them)")
        for flag in ("grade", "solution"):
            if bool(meta.get(flag, False)) != known[flag]:
                reasons.append(f"the '{flag}' flag of '{gid}' was changed in the cell metadata")
        if cell.get("cell_type") != known["cell_type"]:
            reasons.append(f"the cell '{gid}' was changed from {known['cell_type']} to {cell.get('cell_type')}")
        if known["locked"] and not known["solution"] and known["source"] is not None and known["cell_type"] == "code":
            if _normal(cell.get("source", "")) != _normal(released_source(known["source"])):
                what = "test cell" if test else "locked cell"
                reasons.append(f"the {what} '{gid}' was edited (nbgrader put the original back)")
        if reasons:
            if test:
                per_item.setdefault(gid, []).extend(reasons)
            else:
                general.extend(reasons)
    for gid, known in expected.items():
        if gid in seen or not known["locked"] or known["cell_type"] != "code":
            continue
        if known["grade"] and not known["solution"]:
            per_item.setdefault(gid, []).append(f"the test cell '{gid}' was deleted")
        elif not known["grade"]:
            general.append(f"the locked cell '{gid}' was deleted")
    return per_item, general


def _same_source(cell, expected):
    """The test whose released source this cell carries (its grade id was changed), or None."""
    mine = _normal(cell.get("source", ""))
    for gid, known in expected.items():
        if known["grade"] and not known["solution"] and known["source"] is not None:
            if _normal(released_source(known["source"])) == mine:
                return gid
    return None


def _normal(source):
    if isinstance(source, list):
        source = "".join(source)
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def error_output(ename, evalue):
    """An nbformat error output, as a failing cell has (nbgrader gives such a cell no credit)."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
