"""``autograder validate NOTEBOOK``: the student's check before handing in (nbgrader issue #1908).

It runs the notebook the way grading does -- the student's cells in a fresh kernel (sandboxed where the
platform allows), every test cell in the trusted checker, the same per-cell timeout and output limits --
and uses nbgrader's own Validator to
decide which graded cells failed and which locked cells were edited.  Unlike ``nbgrader validate`` it
exits non-zero when anything fails, with one short line per failing item: its grade id, points and
the message of the failure (a ``matcalc`` diagnosis such as ``[transposed] ...``).  Hidden tests do not
run here: they are not in the student's notebook.
"""
import json
import os
import shutil
import sys
import tempfile

from nbgrader.preprocessors import CheckCellMetadata, ClearOutput
from nbgrader.validator import Validator
from traitlets.config import Config

from . import execute, report, worker
from .scratch import Scratch


def validate(path, timeout=300, cell_timeout=60, memory_mb=2048, log=print):
    """Return ``(ok, lines)``: whether every graded test passes, and what to tell the student."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        return False, [f"no such notebook: {path}"]
    from .collect import read_notebook
    nb, problem = read_notebook(path)
    if problem:
        return False, [problem]
    spec = nb.metadata.get("kernelspec") or {}
    if spec.get("name") not in (None, "python3"):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    scratch = Scratch.create(tempfile.mkdtemp(prefix="autograder-validate-"))
    try:
        config = Config()
        config.Execute.timeout = cell_timeout
        config.SplitExecute.notebook_timeout = timeout
        zygote = worker.start()
        import matcalc
        limits = {"timeout": timeout, "memory_mb": memory_mb}
        config.SplitExecute.sandbox = scratch.sandbox(
            limits, read_only=[os.path.dirname(matcalc.__file__), os.path.dirname(__file__)],
            sandboxed=zygote is not None)
        validator = Validator(config=config)
        validator.preprocessors = [CheckCellMetadata, ClearOutput, execute.SplitExecute]
        # the notebook's folder may hold data files it reads: the kernel gets copies
        for name in os.listdir(os.path.dirname(path)):
            src = os.path.join(os.path.dirname(path), name)
            if os.path.isfile(src) and not name.endswith(".ipynb") and not os.path.islink(src):
                shutil.copy(src, scratch.run_dir)
        changed = [c for c in validator._get_changed_cells(nb)]
        executed = validator._preprocess(nb)
    finally:
        worker.stop()
        shutil.rmtree(scratch.root, ignore_errors=True)
    return summary(nb, executed, changed)


def summary(original, executed, changed=()):
    """``(ok, lines)``: one line per graded item -- passed, failing (with its diagnosis), not attempted."""
    outcomes = report.item_outcomes(executed)
    if not outcomes:
        return True, ["no graded items in this notebook (a lecture or a scratch notebook): nothing to validate"]
    lines = []
    for cell in changed:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        lines.append(f"{gid}: this locked cell was edited; grading puts the original back and the item gets no "
                     "credit. Restore it (or copy your work into a fresh copy of the assignment).")
    counts = {"passed": 0, "failing": 0, "not attempted": 0}
    for item in outcomes:
        points = f"{item['max']:g} point{'s' if item['max'] != 1 else ''}"
        if item["status"] == "manual":
            lines.append(f"  {item['grade_id']} ({points}): a written answer, graded by your instructor")
            continue
        if item["status"] == "passed":
            state = "passed"
        elif (item.get("error") or "") == "NotImplementedError":
            state = "not attempted"
        else:
            state = "failing"
        counts[state] += 1
        words = f": {_first_line(item.get('message') or 'failed')}" if state == "failing" else ""
        mark = {"passed": "✓", "failing": "✗", "not attempted": "·"}[state]
        lines.append(f"{mark} {item['grade_id']} ({points}) {state}{words}")
    ok = not changed and counts["failing"] == counts["not attempted"] == 0
    head = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    lines.insert(0, f"{head} (hidden tests run only when your instructor grades)")
    return ok, lines


def _first_line(text, width=300):
    text = " ".join(text.split("\n")[:3]).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def main(path, as_json=False, **kwargs):
    ok, lines = validate(path, **kwargs)
    if as_json:
        print(json.dumps({"ok": ok, "lines": lines}))
        return 0 if ok else 1
    stream = sys.stdout if ok else sys.stderr
    print(("PASSED: " if ok else "FAILED: ") + os.path.basename(path) + "\n  " + "\n  ".join(lines), file=stream)
    return 0 if ok else 1
