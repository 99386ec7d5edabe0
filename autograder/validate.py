"""``autograder validate NOTEBOOK``: the student's check before handing in (nbgrader issue #1908).

It runs the notebook the way grading does -- the student's cells in a fresh kernel (sandboxed where the
platform allows), every test cell in the trusted checker, the same per-cell timeout and output limits --
and uses nbgrader's own Validator to
decide which graded cells failed and which locked cells were edited.  Unlike ``nbgrader validate`` it
exits non-zero when anything fails, with one short line per failing item: its grade id, points and
the message of the failure (a ``matcalc`` diagnosis such as ``[transposed] ...``).  Hidden tests do not
run here: they are not in the student's notebook.
"""
import os
import shutil
import sys
import tempfile

from nbgrader import utils
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput
from nbgrader.validator import Validator
from traitlets.config import Config

from . import execute, report, sandbox, worker


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
    scratch = tempfile.mkdtemp(prefix="autograder-validate-")
    os.chmod(scratch, 0o711)
    try:
        config = Config()
        config.Execute.timeout = cell_timeout
        config.SplitExecute.notebook_timeout = timeout
        run_dir, home, sock, meta = (os.path.join(scratch, d) for d in ("run", "home", "sock", "meta"))
        for folder in (run_dir, home, sock, meta, os.path.join(home, "tmp")):
            os.makedirs(folder)
        zygote = worker.start()
        if zygote is not None:
            import matcalc
            plan = sandbox.plan(run_dir=run_dir, home=home, sock_dir=sock, report=os.path.join(meta, "sandbox.json"),
                                read_only=[os.path.dirname(matcalc.__file__), os.path.dirname(__file__)],
                                memory_mb=memory_mb, cpu_seconds=timeout + 30)
            plan["status"] = os.path.join(meta, "status.json")
            config.SplitExecute.sandbox = {"plan": plan, "run_dir": run_dir, "home": home,
                                               "tmp": os.path.join(home, "tmp"), "sock_dir": sock}
        else:
            config.SplitExecute.sandbox = {"run_dir": run_dir}
        validator = Validator(config=config)
        validator.preprocessors = [CheckCellMetadata, ClearOutput, execute.SplitExecute]
        # the notebook's folder may hold data files it reads: the kernel gets copies
        for name in os.listdir(os.path.dirname(path)):
            src = os.path.join(os.path.dirname(path), name)
            if os.path.isfile(src) and not name.endswith(".ipynb") and not os.path.islink(src):
                shutil.copy(src, run_dir)
        changed = [c for c in validator._get_changed_cells(nb)]
        executed = validator._preprocess(nb)
        failed = validator._get_failed_cells(executed)
    finally:
        worker.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    lines = []
    for cell in changed:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        lines.append(f"{gid}: this locked cell was edited; grading puts the original back and the item gets no "
                     "credit. Restore it (or copy your work into a fresh copy of the assignment).")
    outcomes = {i["grade_id"]: i for i in report.item_outcomes(executed)}
    for cell in failed:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        item = outcomes.get(gid, {})
        points = item.get("max", float(cell.metadata.get("nbgrader", {}).get("points", 0)))
        message = item.get("message") or "failed"
        lines.append(f"{gid} ({points:g} point{'s' if points != 1 else ''}): {_first_line(message)}")
    tests = [c for c in executed.cells if utils.is_grade(c) and c.cell_type == "code" and not utils.is_solution(c)]
    ok = not lines
    if ok:
        lines.append(f"all {len(tests)} tested items pass (hidden tests run only when your instructor grades)")
    return ok, lines


def _first_line(text, width=300):
    text = " ".join(text.split("\n")[:3]).strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def main(path, **kwargs):
    ok, lines = validate(path, **kwargs)
    stream = sys.stdout if ok else sys.stderr
    print(("PASSED: " if ok else f"FAILED: {os.path.basename(path)}\n  ") + "\n  ".join(lines), file=stream)
    return 0 if ok else 1
