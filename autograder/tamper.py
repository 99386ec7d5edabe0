"""Tampering, seen from the grader: a submission compared with the gradebook, and the in-kernel guard.

nbgrader already protects some things and we rely on it: a locked cell whose checksum changed gets its
source back from the gradebook, changed points are reset, the kernelspec is overwritten, and a cell that
raised is recorded as an error even when its traceback display was suppressed (the execute reply says
"error").  What it does not do is *say* so, or withhold credit: :func:`compare_with_gradebook` names every
such change so that the item gets no credit and the reason appears in the results.

What nbgrader does not see at all -- student code replacing what the tests rely on, reading protected
files -- is watched by :mod:`autograder.guard` inside the kernel; :class:`GuardClient` asks it, over
signed silent requests, before and after every test cell.
"""
import ast
import json
import hmac
import re
import secrets

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests
from nbformat import NotebookNode

TAMPERING = "TamperingDetected"


class GuardError(Exception):
    """The guard did not give a valid answer (its answer was missing, forged or garbled)."""


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


def used_names(source):
    """Global names a test cell reads without assigning them itself (approximately; magics are skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return sorted(set(re.findall(r"\b[A-Za-z_]\w*\b", source)))
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
    return sorted(loads - stores)


class GuardClient:
    """The grader's side of :mod:`autograder.guard`: install it, then ask it what changed."""

    def __init__(self, client, forbidden=(), allowed=(), timeout=15):
        self.client = client  # an nbclient NotebookClient with a running kernel
        self.forbidden, self.allowed = list(forbidden), list(allowed)
        self.timeout = timeout
        self._key = secrets.token_hex(16)

    def _ask(self, expressions):
        kc = self.client.kc
        msg_id = kc.execute("", silent=True, store_history=False, user_expressions=expressions, allow_stdin=False)
        reply = self._reply(msg_id)
        if reply is None or reply["content"].get("status") != "ok":
            raise GuardError("the kernel did not answer the grader's check")
        values = {}
        for key, value in reply["content"].get("user_expressions", {}).items():
            if value.get("status") != "ok":
                raise GuardError(f"the grader's check failed inside the kernel ({value.get('ename')}: "
                                 f"{value.get('evalue')})")
            try:
                values[key] = ast.literal_eval(value["data"]["text/plain"])
            except (KeyError, ValueError, SyntaxError):
                raise GuardError("the grader's check gave an unreadable answer") from None
        return values

    def _reply(self, msg_id):
        return self.client.wait_for_reply(msg_id)  # nbclient: skips other replies, notices a dead kernel

    def install(self):
        expr = (f"__import__('autograder.guard', fromlist=['install']).install({self._key!r}, "
                f"{self.forbidden!r}, {self.allowed!r})")
        self._ask({"install": expr})

    def check(self, names=(), before_locked=False, after_locked=None):
        """Problems and audit events now; optionally also record the locked-cell names first/after."""
        nonce = secrets.token_hex(8)
        exprs = {}
        if after_locked is not None:
            exprs["a_after"] = f"__import__('autograder.guard', fromlist=['x']).after_locked({after_locked!r})"
        exprs["b_check"] = f"__import__('autograder.guard', fromlist=['x']).check({nonce!r}, {list(names)!r})"
        if before_locked:
            exprs["c_before"] = "__import__('autograder.guard', fromlist=['x']).before_locked()"
        answer = self._ask(exprs)["b_check"]
        return self._verify(nonce, answer)

    def _verify(self, nonce, answer):
        try:
            got_nonce, mac, body = answer.split(":", 2)
        except (AttributeError, ValueError):
            raise GuardError("the grader's check was answered by something else") from None
        expected = hmac.new(self._key.encode(), (nonce + body).encode(), "sha256").hexdigest()
        if got_nonce != nonce or not hmac.compare_digest(mac, expected):
            raise GuardError("the grader's check was answered by something else (the guard was replaced)")
        return json.loads(body)


def error_output(ename, evalue):
    """An nbformat error output, as a failing cell has (nbgrader gives such a cell no credit)."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def is_instructor(cell):
    return cell.cell_type == "code" and utils.is_locked(cell)
