"""`autograder grade --scheduler`: the same class graded on a real local Dask cluster and by the local pool.

Every test starts its own `dask scheduler` and `dask worker` processes on 127.0.0.1 (addresses learnt
from a scheduler file in tmp_path) and stops them.  The reference is one run of the local pool on the
same generated class; the Dask runs must end with the same scores, student by student and item by item,
also when a worker is killed mid-task or the coordinator is killed and the command run again.
"""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import nbformat
import pytest
from harness import BIN, REPO, Course, env, run
from nbgrader.api import Gradebook

from autograder import sample

WARMUP = "00_warmup"
SIZE = 8
WORKER_ENV = {"DASK_DISTRIBUTED__WORKER__DAEMON": "False"}  # as the README says: workers start checkers


class Cluster:
    """A `dask scheduler` and its `dask worker`s, all local processes of this test."""

    def __init__(self, tmp_path):
        self.file = tmp_path / "scheduler.json"
        self.procs = []
        self.logs = tmp_path
        self.procs.append(self._spawn("scheduler", [BIN / "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                                    "--no-dashboard", "--scheduler-file", self.file]))
        from distributed import Client
        self.client = Client(scheduler_file=str(self.file), timeout="120s", set_as_default=False)

    def _spawn(self, name, args, extra_env=None):
        log = open(self.logs / f"{name}-{len(self.procs)}.log", "w")
        return subprocess.Popen([str(a) for a in args], env={**env(), **WORKER_ENV, **(extra_env or {})},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def add_workers(self, count, extra_env=None):
        before = len(self.client.scheduler_info()["workers"])
        for _ in range(count):
            self.procs.append(self._spawn("worker", [BIN / "dask", "worker", "--scheduler-file", self.file,
                                                     "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"],
                                          extra_env))
        self.client.wait_for_workers(before + count, timeout=300)

    def stop(self):
        self.client.close()
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    yield made
    made.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class, submitted in a course copy and graded by the local pool: {student: {item: score}}."""
    base = tmp_path_factory.mktemp("reference")
    course = Course.copy(base, [WARMUP])
    source_nb = nbformat.read(course.root / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    for student, (_, nb) in sample.sample_class(course.released(WARMUP), source_nb, size=SIZE, seed=11,
                                                 tampering=True).items():
        course.submit(WARMUP, student, nb)
    run([BIN / "autograder", "grade", WARMUP, "--workers", "2", "--quiet"], cwd=course.root)
    return course


def fresh_copy(reference, tmp_path):
    """A new course (no gradebook) with the reference's submissions."""
    (tmp_path / "dask").mkdir()
    course = Course.copy(tmp_path / "dask", [WARMUP], generate=False)
    shutil.copytree(reference.root / "submitted", course.root / "submitted")
    return course


def grade_on(cluster, course, *extra, check=True):
    return run([BIN / "autograder", "grade", WARMUP, "--scheduler-file", cluster.file, "--quiet", *extra],
               cwd=course.root, check=check)


def results(course):
    folder = course.root / "reports" / WARMUP / "students"
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def csv_rows(course):
    with open(course.root / "grades.csv", newline="") as fh:
        return sorted((r["student_id"], r["raw_score"]) for r in csv.DictReader(fh))


def test_a_dask_cluster_grades_exactly_as_the_local_pool(reference, cluster, tmp_path):
    cluster.add_workers(2)
    course = fresh_copy(reference, tmp_path)
    grade_on(cluster, course)

    expected = reference.scores(WARMUP)
    assert len(expected) == SIZE and len({tuple(sorted(v.items())) for v in expected.values()}) > 1
    assert course.scores(WARMUP) == expected  # student by student, item by item
    assert csv_rows(course) == csv_rows(reference)
    ran_on = {r["student"]: r["worker"] for r in results(course).values()}
    workers = set(cluster.client.scheduler_info()["workers"])
    assert all(any(addr in where for addr in workers) for where in ran_on.values()), ran_on
    for student in expected:  # written by the coordinator from the shipped-back files
        assert (course.root / "autograded" / student / WARMUP / f"{WARMUP}.ipynb").is_file()
        assert (course.root / "feedback" / student / WARMUP / f"{WARMUP}.html").is_file()
    assert (course.root / "reports" / WARMUP / "report.html").is_file()
    pids = cluster.client.run(os.getpid).values()
    left = [p for p in os.listdir(tempfile.gettempdir()) if any(p.startswith(f"autograder-dask-{pid}-") for pid in pids)]
    assert not left, f"scratch folders left behind by the workers: {left}"


def test_a_worker_killed_mid_task_loses_nothing(reference, cluster, tmp_path):
    cluster.add_workers(2)
    course = fresh_copy(reference, tmp_path)
    started = []
    first = threading.Event()

    def on_event(event):
        _, msg = event
        started.append(msg)
        first.set()

    cluster.client.subscribe_topic("autograder", on_event)
    proc = subprocess.Popen([str(BIN / "autograder"), "grade", WARMUP, "--scheduler-file", str(cluster.file),
                             "--quiet"], cwd=course.root, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert first.wait(600), "no worker started grading"
        victim = started[0]
        os.kill(victim["pid"], signal.SIGKILL)  # the worker process that is grading this student: kill -9
        out, _ = proc.communicate(timeout=1800)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out

    assert course.scores(WARMUP) == reference.scores(WARMUP)
    assert csv_rows(course) == csv_rows(reference)
    done = results(course)
    assert all(r["status"] != "error" for r in done.values()), done
    later = [m for m in started[1:] if m["started"] == victim["started"]]
    assert later and all(m["pid"] != victim["pid"] for m in later)  # graded again by another process


def test_a_killed_coordinator_resumes_with_the_grades_of_an_uninterrupted_run(reference, cluster, tmp_path):
    cluster.add_workers(2)
    course = fresh_copy(reference, tmp_path)
    folder = course.root / "reports" / WARMUP / "students"
    proc = subprocess.Popen([str(BIN / "autograder"), "grade", WARMUP, "--scheduler-file", str(cluster.file),
                             "--quiet"], cwd=course.root, env=env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and len(list(folder.glob("*.json"))) < 2 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its local feedback processes
    proc.wait()
    finished = len(list(folder.glob("*.json")))
    assert 2 <= finished < SIZE, f"{finished} students were finished when the coordinator was killed"

    again = grade_on(cluster, course)
    before = int(re.search(rf"(\d+) of {SIZE} students were graded already", again.stdout).group(1))
    assert before >= finished
    assert course.scores(WARMUP) == reference.scores(WARMUP)
    assert csv_rows(course) == csv_rows(reference)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:  # nothing counted twice
        assert len(gb.assignment_submissions(WARMUP)) == SIZE
    assert not list((course.root / "autograded").glob(f"*/{WARMUP}.new"))


def test_a_worker_with_another_course_environment_gives_a_clear_error(reference, cluster, tmp_path):
    """An outdated copy of matcalc on the worker's path: ERROR results naming the worker and the cause."""
    stale = tmp_path / "stale"
    shutil.copytree(REPO / "matcalc", stale / "matcalc", ignore=shutil.ignore_patterns("__pycache__"))
    with open(stale / "matcalc" / "__init__.py", "a") as fh:
        fh.write("\n# an older checkout of the course on this machine\n")
    cluster.add_workers(1, {"PYTHONPATH": str(stale)})
    course = fresh_copy(reference, tmp_path)
    proc = grade_on(cluster, course, check=False)

    assert proc.returncode == 2, proc.stdout + proc.stderr  # some student has an ERROR result
    address = next(iter(cluster.client.scheduler_info()["workers"]))
    done = results(course)
    assert len(done) == SIZE
    for student, result in done.items():
        assert result["status"] == "error", result
        words = " ".join(result["notes"])
        assert f"Dask worker {address}" in words and "matcalc is source" in words, words
        assert "on the coordinator" in words
    assert "ERROR" in proc.stdout and re.search(rf"Dask worker {re.escape(address)} on \S+ cannot grade", proc.stdout)
    assert course.scores(WARMUP) == {}  # nothing merged

    # the instructor replaces the worker: the next run grades everyone, as the local pool did
    cluster.client.retire_workers([address], close_workers=True)
    cluster.add_workers(1)
    grade_on(cluster, course)
    assert course.scores(WARMUP) == reference.scores(WARMUP)
