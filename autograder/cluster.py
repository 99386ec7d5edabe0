"""Grading on an existing Dask distributed cluster: ``autograder grade NAME --scheduler tcp://HOST:PORT``.

:class:`DaskPool` has the interface of :class:`autograder.grade.Pool` (``start``, context manager,
``size``, ``run(jobs, handle)``).  Each submission becomes one Dask task that runs exactly
:func:`autograder.worker.grade` (sandboxed kernel, trusted checker) on a worker machine and returns the
typed :class:`~autograder.results.GradeResult`.  Nothing is assumed shared: the task carries, as bytes,

    the submission folder's files    (copied here with the local grader's rules: no links, size limits)
    the template gradebook           (only the assignment's definition: no other student, no scores)
    solutions/ASSIGNMENT/'s files    (the master notebook, read by the grader only, and its data files)

The worker writes them into a temporary scratch of its own (hidden from the student's kernel), grades,
packs the autograded folder into ``GradeResult.autograded_files`` and removes its scratch.  Only this
(coordinating) process writes the gradebook, the autograded/ folder, feedback, grades.csv and the report:
feedback and the final export run here, in local processes, while the cluster grades.

The task's first step (:mod:`autograder.remote`) checks that the worker can grade like the coordinator;
a worker that cannot is reported by name and cause in an ERROR result (the next run retries it).  A task
that kills its worker is retried elsewhere by Dask up to ``distributed.scheduler.allowed-failures``
times, then becomes an ERROR result.
"""
import concurrent.futures
import multiprocessing
import os
import pickle
import queue
import shutil
import tempfile
import threading

import cloudpickle

from . import collect, remote
from .course import CourseError
from .results import GradeJob, GradeResult, Status, failed

cloudpickle.register_pickle_by_value(remote)  # its check runs even where autograder is missing or different


class Unfit(Exception):
    """This worker cannot grade (its kernel zygote did not start ...)."""


# -- the coordinator's side -----------------------------------------------------------------------

def pack_tree(folder):
    """{relative path: bytes} of the regular files under ``folder``."""
    files = {}
    for base, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(base, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    files[os.path.relpath(path, folder)] = fh.read()
    return files


def unpack_tree(files, folder):
    """Write {relative path: bytes} under ``folder`` (paths that would leave it are ignored)."""
    folder = os.path.abspath(folder)
    os.makedirs(folder, exist_ok=True)
    for rel, data in files.items():
        path = os.path.normpath(os.path.join(folder, rel))
        if path.startswith(folder + os.sep):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(data)


def course_material(job):
    """What every task of this assignment needs besides the submission: template gradebook, solutions folder."""
    with open(job.template, "rb") as fh:
        template = fh.read()
    source = {}
    if os.path.isdir(job.source_path):
        for name in sorted(os.listdir(job.source_path)):  # the grader reads the top level only
            path = os.path.join(job.source_path, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as fh:
                    source[name] = fh.read()
    return {"template": template, "source": source}


def shipment(job, material):
    """The pickled task payload of one GradeJob, or a NOT_GRADABLE result when the submission is refused."""
    staging = job.scratch + "-ship"
    try:
        notes = collect.copy_submission(job.submission, staging)  # the same rules as a local worker
        files = pack_tree(staging)
    except ValueError as exc:
        return GradeResult(student=job.student, status=Status.NOT_GRADABLE, notes=[str(exc)])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return pickle.dumps({"job": job, "submission": files, "notes": notes, **material})


class DaskPool:
    """Grade on the workers of a Dask cluster; feedback and the final export run in local processes."""

    def __init__(self, address=None, scheduler_file=None, local=2):
        self.address, self.scheduler_file = address, scheduler_file
        self.local_size = max(1, min(local, os.cpu_count() or 1))
        self.client = None
        self.local = None
        self.size = 0
        self.log = lambda words: print(words, flush=True)

    def start(self):
        from distributed import Client
        where = self.address or f"the scheduler file {self.scheduler_file}"
        if self.scheduler_file and not os.path.isfile(self.scheduler_file):
            raise CourseError(f"no scheduler file {self.scheduler_file}")
        try:
            self.client = Client(self.address, scheduler_file=self.scheduler_file, timeout="30s",
                                 set_as_default=False)
            self.client.wait_for_workers(1, timeout=120)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise CourseError(f"could not use the Dask cluster at {where}: {exc}") from None
        self.size = sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())
        self.local = concurrent.futures.ProcessPoolExecutor(
            self.local_size, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __enter__(self):
        if self.client is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.local is not None:
            self.local.shutdown(wait=True, cancel_futures=True)
            self.local = None
        if self.client is not None:
            self.client.close()
            self.client = None

    def run(self, jobs, handle):
        """Run ``jobs`` (a deque of GradeJobs); ``handle(result)``'s follow-up jobs run in local processes."""
        from distributed import KilledWorker
        done = queue.Queue()  # (job, future) of finished tasks, filled by callbacks of other threads
        running = {}
        expected = remote.environment()
        material = {}
        reported = set()

        def submit(job):
            if isinstance(job, GradeJob):
                if job.source_path not in material:
                    material[job.source_path] = course_material(job)
                payload = shipment(job, material[job.source_path])
                if isinstance(payload, GradeResult):
                    done.put((job, payload))
                    return
                future = self.client.submit(remote.run, payload, expected, key=f"grade-{job.student}-{os.urandom(4).hex()}",
                                            pure=False)
            else:
                from . import worker
                future = self.local.submit(worker.run, job)
            running[id(future)] = future
            future.add_done_callback(lambda f, job=job: done.put((job, f)))

        def outcome(job, future):
            if isinstance(future, GradeResult):
                return future
            running.pop(id(future), None)
            try:
                result = future.result()
            except KilledWorker as exc:  # more workers died running it than allowed-failures allows
                return failed(job, f"Dask gave the grading task up: the workers running it died ({exc}); "
                                   f"it is graded again on the next run")
            except Exception as exc:  # noqa: BLE001 - cancelled, lost scheduler, a worker that cannot unpickle
                return failed(job, f"the grading task failed on the Dask cluster: {type(exc).__name__}: {exc}")
            if isinstance(result, dict) and "unfit" in result:
                words = f"{result['unfit']} cannot grade: {result['cause']}"
                if words not in reported:
                    reported.add(words)
                    self.log(f"autograder: {words}")
                return failed(job, f"not graded: {words}")
            return result

        in_flight = max(4, 2 * self.size)
        while jobs or running or not done.empty():
            while jobs and sum(1 for f in running.values() if not isinstance(f, concurrent.futures.Future)) < in_flight:
                submit(jobs.popleft())
            try:
                job, future = done.get(timeout=1)
            except queue.Empty:
                continue
            for follow in handle(outcome(job, future)) or []:
                submit(follow)


# -- the worker's side ----------------------------------------------------------------------------

_lock = threading.Lock()  # one grading at a time per worker process (the zygote serves one caller)
_cleaned = []
SCRATCH_PREFIX = "autograder-dask-"


def _clean_stale_scratch():
    """Remove the scratch folders of worker processes that were killed (once per process)."""
    if _cleaned:
        return
    _cleaned.append(True)
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        pid = name[len(SCRATCH_PREFIX):].split("-")[0]
        if name.startswith(SCRATCH_PREFIX) and pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


def _announce(student):
    """A ``autograder`` event on the scheduler: this worker process started grading ``student``."""
    try:
        from distributed import get_worker
        get_worker().log_event("autograder", {"started": student, "pid": os.getpid()})
    except ValueError:  # not inside a Dask worker
        pass


def grade_shipment(payload):
    """Grade one shipped submission here, in a temporary scratch of this worker; return its GradeResult."""
    from . import remote, worker
    with _lock:
        try:
            worker.start()
        except Exception as exc:  # noqa: BLE001
            worker.stop()
            raise Unfit(f"the kernel zygote did not start ({type(exc).__name__}: {exc})") from None
        _clean_stale_scratch()
        shipped = pickle.loads(payload)
        job = shipped["job"]
        _announce(job.student)
        root = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
        try:
            os.chmod(root, 0o711)
            given = os.path.join(root, "given")  # the shipment: the grader's only, hidden from the kernel
            unpack_tree(shipped["submission"], os.path.join(given, "submission"))
            unpack_tree(shipped["source"], os.path.join(given, "source"))
            template = os.path.join(given, "template.db")
            with open(template, "wb") as fh:
                fh.write(shipped["template"])
            os.chmod(given, 0o700)
            import matcalc

            from . import __file__ as package_file
            extra = [p for p in job.read_only[2:] if os.path.isdir(p)]  # --read-only folders this machine has too
            job.submission, job.template = os.path.join(given, "submission"), template
            job.source_path, job.scratch = os.path.join(given, "source"), os.path.join(root, "grade")
            job.read_only = [os.path.dirname(matcalc.__file__), os.path.dirname(package_file), *extra]
            job.forbidden = [given]
            result = worker.grade(job)
            if result.autograded and os.path.isdir(result.autograded):
                result.autograded_files = pack_tree(result.autograded)
            result.autograded = result.scratch = None
            result.notes = shipped["notes"] + result.notes
            result.worker = remote.where()
            return result
        finally:
            shutil.rmtree(root, ignore_errors=True)
