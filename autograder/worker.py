"""A grading worker: one submission at a time, in a scratch course of its own.

The scratch course holds only this student's files, the assignment's supporting (non-notebook) files
and a gradebook with just the assignment's definition -- never ``solutions/`` notebooks, the course
gradebook or anyone else's work.  nbgrader's own Autograde converter grades there, with
:class:`~autograder.execute.SplitExecute` in place of its Execute step; the parent process then copies
the autograded folder and merges the scores (:mod:`autograder.gradebook`).

Workers also write feedback (:mod:`autograder.feedback`), reading the course gradebook.
"""
import copy
import os
import shutil
import sys
import time
import traceback

import nbformat
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from nbgrader.utils import capture_log

from . import collect, execute, gradebook, report, sandbox, sanitize, tamper
from .results import FeedbackJob, FinalizeJob, GradeJob, GradeResult, Status, TaskResult, failed
from .scratch import Scratch

_zygote = None


def start(preload=None):
    """Start this worker's kernel zygote (once); without namespaces/pidfd, kernels start normally."""
    global _zygote
    if _zygote is None and sys.platform.startswith("linux") and hasattr(os, "pidfd_open"):
        from .kernel import PRELOAD, Zygote
        _zygote = Zygote(preload or PRELOAD)
    execute.SplitExecute.zygote = _zygote
    return _zygote


def stop():
    global _zygote
    if _zygote is not None:
        _zygote.close()
        _zygote = None
        execute.SplitExecute.zygote = None


def autograde_preprocessors(configured):
    """nbgrader's autograde pipeline with our Execute in place of its own, student outputs made safe after it."""
    steps = []
    for pp in configured:
        if pp is Execute or getattr(pp, "__name__", pp) == "Execute":
            steps += [execute.SplitExecute, sanitize.SanitizeOutputs]
        else:
            steps.append(pp)
    return steps


def run(job):
    """Do one job; a worker reports what went wrong, it never dies of one submission."""
    try:
        if isinstance(job, GradeJob):
            return grade(job)
        if isinstance(job, FeedbackJob):
            from .feedback import generate
            return generate(job)
        if isinstance(job, FinalizeJob):
            return finalize(job)
        raise ValueError(f"unknown job {job!r}")
    except Exception as exc:  # noqa: BLE001
        return failed(job, f"the grader failed: {type(exc).__name__}: {exc}", traceback.format_exc())


def grade(job):
    """Grade one submission in a scratch course of its own; return a :class:`GradeResult`."""
    started = time.monotonic()
    if _zygote is not None and _zygote.proc.poll() is not None:  # it died (out of memory?): start afresh
        stop()
        start()
    student, assignment = job.student, job.assignment
    shutil.rmtree(job.scratch, ignore_errors=True)
    scratch = Scratch.create(job.scratch)
    course = os.path.join(job.scratch, "course")
    os.makedirs(course)
    os.chmod(course, 0o700)
    result = GradeResult(student=student, scratch=job.scratch)

    def done(status=None):
        result.status = status or result.status
        result.seconds = round(time.monotonic() - started, 3)
        return result

    # the student's files, the assignment's data files, a gradebook with only the assignment
    submitted = os.path.join(course, "submitted", student, assignment)
    try:
        result.notes += collect.copy_submission(job.submission, submitted)
    except ValueError as exc:
        result.notes = [str(exc)]
        return done(Status.NOT_GRADABLE)
    source = os.path.join(course, job.source_directory, assignment)
    os.makedirs(source)
    if os.path.isdir(job.source_path):
        for name in os.listdir(job.source_path):
            path = os.path.join(job.source_path, name)
            if not name.endswith(".ipynb") and os.path.isfile(path) and not os.path.islink(path):
                shutil.copy(path, source)
    db = os.path.join(course, "gradebook.db")
    gradebook.scratch_copy(job.template, db, job.course_id, assignment, student, job.context)

    with Gradebook(f"sqlite:///{db}", job.course_id) as gb:
        expected = {nb.name: tamper.expected_cells(gb, nb.name, assignment)
                    for nb in gb.find_assignment(assignment).notebooks}
    seen = collect.inspect(submitted, expected, assignment=assignment,  # the course root: to name another
                           root=os.path.dirname(os.path.dirname(job.source_path)))  # assignment's notebook
    result.notes += seen["notes"]
    result.tampering = {"items": seen["items"], "general": seen["general"]}
    if not seen["gradable"]:
        return done(Status.NOT_GRADABLE)

    config = copy.deepcopy(job.config)
    config.CourseDirectory.root = course
    config.CourseDirectory.db_url = f"sqlite:///{db}"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.source_directory = job.source_directory
    configured = (config.Autograde.get("autograde_preprocessors", None)
                  or Autograde.class_traits()["autograde_preprocessors"].default())
    config.Autograde.autograde_preprocessors = autograde_preprocessors(configured)
    # a deleted test cell comes back (nbgrader's own option), so its "no credit" reason has a place to show
    config.OverwriteCells.add_missing_cells = True
    limits = job.limits
    config.SplitExecute.sandbox = scratch.sandbox(limits, read_only=job.read_only, hide=job.forbidden,
                                                  sandboxed=_zygote is not None)
    config.SplitExecute.notebook_timeout = limits["timeout"]
    if limits.get("cell_timeout"):
        config.Execute.timeout = limits["cell_timeout"]
    config.SplitExecute.max_output_bytes = limits["max_output_bytes"]
    config.SplitExecute.trusted_cells = {name: trusted_cells(cells) for name, cells in expected.items()}
    config.SplitExecute.expected_flags = master_flags(job.source_path)
    config.SplitExecute.item_reasons = seen["items"]
    config.SplitExecute.general_reasons = seen["general"]

    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    app = Autograde(coursedir=coursedir, config=config)
    app.force, app.create_student = True, True
    outcome = capture_log(app)
    autograded = os.path.join(course, "autograded", student, assignment)
    if not outcome["success"] or not os.path.isdir(autograded):
        result.log = (outcome.get("log") or "") + (outcome.get("error") or "")
        result.notes.append("nbgrader could not grade this submission: " + _last_error(result.log))
        return done(Status.ERROR)

    result.autograded = autograded
    result.scores = gradebook.scratch_results(db, job.course_id, assignment, student)
    for name in seen["gradable"]:
        path = os.path.join(autograded, name + ".ipynb")
        if not os.path.exists(path):
            continue
        nb = nbformat.read(path, as_version=4)
        for item in report.item_outcomes(nb):
            result.items[item["grade_id"]] = item
        run = nb.metadata.get("autograder", {})
        if run.get("stopped"):
            result.notes.append(f"{name}: {run['stopped']}")
        if run.get("truncated"):
            result.notes.append(f"{name}: output was cut off in {len(run['truncated'])} cell(s)")
        result.notes += [f"{name}: {words}" for words in run.get("notes", [])]
        result.review += [f"{name}: {words}" for words in run.get("flags", [])]
        result.sandbox = run.get("sandbox") or result.sandbox
        result.checker_seconds += run.get("checker_seconds", 0.0)
    return done()


def finalize(job):
    """grades.csv and the report, once every score is merged (runs beside the last feedback jobs)."""
    from .course import load_api
    api = load_api(job.root)
    out = TaskResult(kind="finalize")
    if job.export:
        out.grades_csv = gradebook.export_csv(api)
    if job.report:
        out.report = report.write(api, job.assignment, log=lambda *_: None)
    return out


def trusted_cells(expected):
    """The instructor's code cells of one notebook, from the gradebook: {grade_id: {source, test}}."""
    return {gid: {"source": cell["source"], "test": bool(cell["grade"]) and not cell["solution"]}
            for gid, cell in expected.items()
            if cell["cell_type"] == "code" and cell["locked"] and cell["source"] is not None}


def master_flags(folder):
    """{notebook: {grade_id: review flags}} of the instructor's solution cells (read here, never in a sandbox)."""
    from nbgrader import utils

    from .review import flags
    found = {}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".ipynb"):
            nb = nbformat.read(os.path.join(folder, name), as_version=4)
            found[name[:-6]] = {c.metadata["nbgrader"]["grade_id"]: flags(c.source) for c in nb.cells
                                if c.cell_type == "code" and utils.is_solution(c)}
    return found


def _last_error(log):
    lines = [line for line in (log or "").splitlines() if line.strip()]
    for line in reversed(lines):
        if "Error" in line or "error" in line:
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no details"


def loop(conn, preload=None):
    """The worker process: take jobs from the pipe until told to stop."""
    import signal
    try:
        sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    import warnings
    warnings.filterwarnings("ignore", module="sqlalchemy")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    try:
        start(preload)
        conn.send({"kind": "ready"})
        while True:
            try:
                job = conn.recv()
            except EOFError:
                break
            if job is None:
                break
            conn.send(run(job))
    finally:
        stop()
