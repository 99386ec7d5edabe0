"""``autograder grade``: a whole class, in parallel and sandboxed, into nbgrader's gradebook.

    register the assignment from solutions/ if the gradebook does not know it (no exercises/ rewrite)
    collect the submissions (nbgrader's submitted/ layout, or uploads through nbgrader zip_collect)
    for each student not graded yet (or whose submission changed):
        worker process: scratch course -> nbgrader Autograde with a sandboxed kernel (autograder.worker)
        parent: copy autograded/STUDENT/ASSIGNMENT, merge the scores (one writer), write a result file
        worker process: nbgrader generate_feedback with hidden tests removed (autograder.feedback)
    export grades.csv (nbgrader's CSV exporter), write the report (autograder.report)

Interrupted runs resume: a student counts as done when ``reports/ASSIGNMENT/students/STUDENT.json``
holds the fingerprint of the same submission, assignment and limits; it is written last, after the
autograded files and the gradebook, so a run killed at any moment re-grades at most the students it
was busy with, and merging the same student twice replaces rows instead of adding to them.
"""
import copy
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field

from . import collect, feedback, gradebook, report
from .course import CourseError, load_api
from .results import FeedbackJob, FinalizeJob, GradeJob, GradeResult, Status, TaskResult, failed

VERSION = "2"  # part of the fingerprint: bump when grading semantics change


@dataclass
class Limits:
    timeout: int = 600            # wall-clock seconds per notebook
    cell_timeout: int = 0         # seconds per cell (0: the course's Execute.timeout)
    memory_mb: int = 2048         # address space of the kernel
    nproc: int = 128              # processes and threads of the kernel's own user
    fsize_mb: int = 256           # largest file the kernel may write
    disk_mb: int = 512            # everything the kernel may write (its scratch), together
    max_output_bytes: int = 1 << 20  # output kept per cell
    network: bool = False


@dataclass
class Settings:
    workers: int = 0              # 0: one per core
    limits: Limits = field(default_factory=Limits)
    force: bool = False           # re-grade students already graded
    feedback: bool = True
    report: bool = True
    export: bool = True
    keep_scratch: bool = False
    read_only: list = field(default_factory=list)   # extra folders the kernel may read
    scheduler: str = ""           # grade on this Dask cluster (tcp://HOST:PORT) instead of local workers
    scheduler_file: str = ""      # ... or the one this scheduler file names


# -- the worker pool ------------------------------------------------------------------------------

class Pool:
    """Worker processes fed over pipes; a stuck or dead worker is replaced.

    Workers are forked from this process, which has no threads (tqdm's monitor thread is switched
    off), so they start at once with everything imported; :meth:`start` can run while the parent
    still registers the assignment and collects the submissions.
    """

    def __init__(self, size):
        self.ctx = multiprocessing.get_context("fork")
        self.size = size
        self.workers = []
        self._pending = []

    def start(self):
        self._pending = [self._spawn() for _ in range(self.size)]
        return self

    def __enter__(self):
        if not self._pending and not self.workers:
            self.start()
        for w in self._pending:
            self._ready(w)
            self.workers.append(w)
        self._pending = []
        return self

    def __exit__(self, *exc):
        self.close()

    def _spawn(self):
        from . import worker
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker.loop, args=(child,), daemon=False)  # it forks checkers; dies with us (PDEATHSIG)
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "job": None, "deadline": None}

    def _ready(self, w, timeout=120):
        if not w["conn"].poll(timeout):
            raise CourseError("a grading worker did not start within two minutes")
        hello = w["conn"].recv()
        if hello.get("kind") != "ready":
            raise CourseError(f"a grading worker failed to start: {hello}")

    def replace(self, w):
        self._kill(w)
        fresh = self._spawn()
        self._ready(fresh)
        self.workers[self.workers.index(w)] = fresh
        return fresh

    def _kill(self, w):
        try:
            w["proc"].kill()
            w["proc"].join(5)
        except Exception:  # noqa: BLE001
            pass

    def close(self):
        for w in self._pending:
            self._kill(w)
        for w in self.workers:
            try:
                w["conn"].send(None)
            except (OSError, BrokenPipeError):
                pass
        for w in self.workers:
            w["proc"].join(10)
            if w["proc"].is_alive():
                self._kill(w)
        self.workers = []

    def run(self, jobs, handle):
        """Run ``jobs`` (a deque; ``handle(result)`` may return follow-up jobs, run first)."""
        urgent = deque()
        while jobs or urgent or any(w["job"] for w in self.workers):
            for w in self.workers:
                if w["job"] is None and (urgent or jobs):
                    job = urgent.popleft() if urgent else jobs.popleft()
                    w["job"], w["deadline"] = job, time.monotonic() + job.deadline
                    w["conn"].send(job)
            busy = [w for w in self.workers if w["job"] is not None]
            ready = multiprocessing.connection.wait([w["conn"] for w in busy], timeout=0.5)
            for w in busy:
                result = None
                if w["conn"] in ready:
                    try:
                        result = w["conn"].recv()
                    except (EOFError, OSError):
                        result = failed(w["job"], "the grading worker died (it was replaced)")
                        w = self.replace(w)
                elif time.monotonic() > w["deadline"]:
                    result = failed(w["job"], "the grading worker got stuck and was stopped (it was replaced)")
                    w = self.replace(w)
                if result is not None:
                    w["job"] = None
                    urgent.extend(handle(result) or [])


def _pool_size(settings, jobs):
    return max(1, min(settings.workers or os.cpu_count() or 1, jobs))


# -- grading a class -------------------------------------------------------------------------------

def fingerprint(folder, spec, limits):
    h = hashlib.sha256(VERSION.encode())
    h.update(json.dumps(spec, sort_keys=True).encode())
    h.update(json.dumps(asdict(limits), sort_keys=True).encode())
    h.update((collect.folder_hash(folder) or "").encode())
    return h.hexdigest()


def _clean_stale_scratch(base):
    for name in os.listdir(base):
        if name.startswith("autograder-run-"):
            try:
                pid = int(name.split("-")[2])
                os.kill(pid, 0)
            except (ValueError, IndexError):
                continue
            except ProcessLookupError:
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            except PermissionError:
                pass


def _replace_tree(src, dest):
    tmp, old = dest + ".new", dest + ".old"
    for path in (tmp, old):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(src, tmp)
    if os.path.exists(dest):
        os.rename(dest, old)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def _write_tree(files, dest):
    """Write {relative path: bytes} as the folder ``dest`` (replacing it)."""
    tmp = dest + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, data in files.items():
        path = os.path.normpath(os.path.join(tmp, rel))
        if not path.startswith(tmp + os.sep):
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
    os.makedirs(tmp, exist_ok=True)
    old = dest + ".old"
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(dest):
        os.rename(dest, old)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    os.rename(tmp, dest)
    shutil.rmtree(old, ignore_errors=True)


def _write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as fh:
        json.dump(data, fh, indent=1, default=str)
    os.replace(path + ".tmp", path)


def grade(root, assignment, submissions=None, settings=None, log=print, progress=True):
    import warnings
    warnings.filterwarnings("ignore", message=".*not in session.*")  # nbgrader's own SQLAlchemy chatter
    settings = settings or Settings()
    limits = settings.limits
    from . import worker  # noqa: F401 - imported before the workers are forked from this process
    import tqdm
    tqdm.tqdm.monitor_interval = 0  # no monitor thread: this process must stay single-threaded to fork
    api = load_api(root)
    root = api.coursedir.root
    if settings.scheduler or settings.scheduler_file:  # a Dask cluster grades (autograder.cluster)
        from .cluster import DaskPool
        pool = DaskPool(settings.scheduler or None, settings.scheduler_file or None).start()
    else:
        pool = Pool(_pool_size(settings, 10**6)).start()  # the workers warm up while we prepare
    try:
        return _grade(api, root, assignment, submissions, settings, limits, pool, log, progress)
    finally:
        pool.close()


def _grade(api, root, assignment, submissions, settings, limits, pool, log, progress):
    if not gradebook.is_registered(api, assignment):
        gradebook.register(root, assignment, log=log)
        api = load_api(root)
    spec = gradebook.definition(api, assignment)
    notebooks = [nb["name"] for nb in spec["notebooks"]]
    course_submitted = os.path.join(root, api.coursedir.submitted_directory)

    upload_notes = {}
    source_of_submissions = course_submitted
    if submissions:
        submissions = os.path.abspath(submissions)
        if not os.path.isdir(submissions):
            raise CourseError(f"no folder {submissions}")
        if collect.is_nbgrader_layout(submissions, assignment):
            source_of_submissions = submissions
        else:
            upload_notes = collect.collect_uploads(api, assignment, submissions, notebooks, log=log)
    found = collect.submissions(source_of_submissions, assignment)
    students = sorted(set(found) | set(upload_notes))
    if not students:
        raise CourseError(f"no submissions of {assignment} in {source_of_submissions}")

    results_dir = os.path.join(report.results_dir(api, assignment), "students")
    keys, todo, done = {}, [], []
    for student in students:
        keys[student] = fingerprint(found.get(student, ""), spec, limits) + json.dumps(upload_notes.get(student, []))
        saved = os.path.join(results_dir, student + ".json")
        if not settings.force and os.path.exists(saved):
            with open(saved) as fh:
                previous = json.load(fh)
            kept = previous.get("status") == "not gradable" or (
                previous.get("status") == "graded"
                and os.path.isdir(os.path.join(root, api.coursedir.autograded_directory, student, assignment)))
            if previous.get("key") == keys[student] and kept:
                done.append(student)
                continue
        todo.append(student)
    if done:
        log(f"{len(done)} of {len(students)} students were graded already (same submission); "
            f"grading the other {len(todo)}")

    base = tempfile.gettempdir()
    _clean_stale_scratch(base)
    scratch_root = tempfile.mkdtemp(prefix=f"autograder-run-{os.getpid()}-", dir=base)
    os.chmod(scratch_root, 0o711)
    template = gradebook.build_template(os.path.join(scratch_root, "template.db"), api.coursedir.course_id, spec,
                                        gradebook.alembic_version(api))
    os.chmod(template, 0o600)
    import matcalc
    from . import __file__ as package_file
    read_only = [os.path.dirname(matcalc.__file__), os.path.dirname(package_file), *settings.read_only]
    db_path = api.coursedir.db_url.replace("sqlite:///", "", 1) if api.coursedir.db_url.startswith("sqlite:///") else None
    forbidden = [os.path.join(root, api.coursedir.source_directory), course_submitted,
                 os.path.join(root, api.coursedir.autograded_directory),
                 os.path.join(root, api.coursedir.feedback_directory), os.path.join(root, "reports"),
                 os.path.join(root, "downloaded"), source_of_submissions, scratch_root]
    if db_path:
        forbidden += [os.path.abspath(db_path), os.path.abspath(db_path) + "-journal"]
    config = copy.deepcopy(api.config)
    config.CourseDirectory.root = root

    def grade_job(number, student):
        return GradeJob(student=student, assignment=assignment, submission=found[student],
                        scratch=os.path.join(scratch_root, f"{number:05d}"), template=template,
                        course_id=api.coursedir.course_id,
                        source_path=os.path.join(root, api.coursedir.source_directory, assignment),
                        source_directory=api.coursedir.source_directory, config=config, limits=asdict(limits),
                        context=gradebook.student_context(api, assignment, student), forbidden=forbidden,
                        read_only=read_only, deadline=limits.timeout + 180)

    results = {}
    started = time.monotonic()
    bar = None
    autograded_root = os.path.join(root, api.coursedir.autograded_directory)
    feedback_root = os.path.join(root, api.coursedir.feedback_directory)

    def finish(student, result):
        result.key = keys[student]
        early = upload_notes.get(student, [])
        result.notes = early + [n for n in result.notes if n not in early]
        _write_json(os.path.join(results_dir, student + ".json"), result.to_json())
        results[student] = result

    final = {}
    finalize = FinalizeJob(root=root, assignment=assignment, export=settings.export, report=settings.report)

    def handle(result):
        if isinstance(result, TaskResult):
            if result.kind == "finalize":
                final["result"] = result
            elif result.status != Status.OK and result.student in results:
                results[result.student].notes.extend(result.notes)
            return []
        follow = []
        student = result.student
        dest = os.path.join(autograded_root, student, assignment)
        if result.status == Status.GRADED:
            if result.autograded_files is not None:  # graded on another machine: its files came along
                _write_tree(result.autograded_files, dest)
            else:
                _replace_tree(result.autograded, dest)
            gradebook.merge(api, assignment, student, result.scores)
            if settings.feedback:
                follow.append(FeedbackJob(student=student, assignment=assignment, config=config))
        elif result.status == Status.NOT_GRADABLE:
            shutil.rmtree(dest, ignore_errors=True)
            gradebook.zero(api, assignment, student, collect.read_timestamp(found.get(student)))
            if settings.feedback:
                for name in notebooks:
                    feedback.not_gradable_page(os.path.join(feedback_root, student, assignment, name + ".html"),
                                               assignment, student, result.notes)
        if not settings.keep_scratch and result.scratch and not result.worker:
            shutil.rmtree(result.scratch, ignore_errors=True)
        finish(student, result)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{student}: {_short(result)}", refresh=False)
        if len(results) == len(todo) and (settings.export or settings.report):
            follow.append(finalize)  # every score is in: grades.csv and the report, beside the feedback
        return follow

    jobs = deque()
    for number, student in enumerate(todo):
        if student in found:
            jobs.append(grade_job(number, student))
        else:  # an upload that held nothing gradable
            handle(GradeResult(student=student, status=Status.NOT_GRADABLE,
                               notes=upload_notes.get(student, []) or ["no notebook was handed in"]))
    graded_now = len(jobs)
    interrupted = False
    if jobs:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc=f"grading {assignment}", unit="student", disable=not progress,
                   file=sys.stderr, dynamic_ncols=True)
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            with pool:
                pool.run(jobs, handle)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            signal.signal(signal.SIGTERM, previous)
            bar.close()
            if not settings.keep_scratch:
                shutil.rmtree(scratch_root, ignore_errors=True)
    elif not settings.keep_scratch:
        shutil.rmtree(scratch_root, ignore_errors=True)
    elapsed = time.monotonic() - started
    if interrupted:
        left = len(todo) - len(results)
        log(f"interrupted: {len(results)} of {len(todo)} graded, {left} left; run the same command again to finish")
        return {"interrupted": True, "results": results, "elapsed": elapsed}

    for student in done:
        with open(os.path.join(results_dir, student + ".json")) as fh:
            results[student] = GradeResult.from_json(json.load(fh))
    outcome = {"interrupted": False, "results": results, "elapsed": elapsed, "graded_now": graded_now,
               "students": students, "scratch": scratch_root if settings.keep_scratch else None}
    task = final.get("result")
    if task is not None and task.status == Status.OK:
        outcome.update({k: v for k, v in (("grades_csv", task.grades_csv), ("report", task.report)) if v})
    else:  # nothing was graded now (or the worker failed): do it here
        if settings.export:
            outcome["grades_csv"] = gradebook.export_csv(api)
        if settings.report:
            outcome["report"] = report.write(api, assignment, log=lambda *_: None)
    report.print_table(api, assignment, results, log)
    if graded_now:
        log(f"graded {graded_now} submission(s) in {elapsed:.1f} s with {pool.size} worker(s) "
            f"({elapsed / graded_now:.2f} s per submission)")
    if outcome.get("grades_csv"):
        log(f"grades: {outcome['grades_csv']}")
    if outcome.get("report"):
        log(f"report: {outcome['report']}")
    if settings.feedback:
        log(f"feedback: {feedback_root}/STUDENT/{assignment}/ (hidden tests removed)")
    return outcome


def _interrupt(*_):
    raise KeyboardInterrupt


def _short(result):
    if result.status != Status.GRADED:
        return result.status.value
    items = result.items
    passed = sum(1 for i in items.values() if i.get("status") == "passed")
    auto = sum(1 for i in items.values() if i.get("status") != "manual")
    return f"{passed}/{auto} tests passed"


