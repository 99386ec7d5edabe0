"""A grading run killed halfway finishes on the next run, with the grades of an uninterrupted run."""
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import time

import nbformat
from harness import BIN, Course, env, run
from nbgrader.api import Gradebook

from autograder import sample
from autograder.sandbox import UID_BASE

WARMUP = "00_warmup"
SIZE = 12


def _sandbox_processes():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/status") as fh:
                    uid = next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if uid >= UID_BASE:
                found.append(pid)
    return found


def test_a_killed_run_resumes_and_ends_with_the_grades_of_an_uninterrupted_run(tmp_path):
    for name in ("base", "killed", "whole"):
        (tmp_path / name).mkdir()
    base = Course.copy(tmp_path / "base", [WARMUP])
    source_nb = nbformat.read(base.root / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
    for student, (_, nb) in sample.sample_class(base.released(WARMUP), source_nb, size=SIZE, seed=5,
                                                 tampering=False).items():
        base.submit(WARMUP, student, nb)
    killed = Course.copy(tmp_path / "killed", [WARMUP], generate=False)
    whole = Course.copy(tmp_path / "whole", [WARMUP], generate=False)
    for course in (killed, whole):
        shutil.copytree(base.root / "submitted", course.root / "submitted")

    results = killed.root / "reports" / WARMUP / "students"
    proc = subprocess.Popen([str(BIN / "autograder"), "grade", WARMUP, "--workers", "2", "--quiet"],
                            cwd=killed.root, env=env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 4:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole command, its workers and their kernels: kill -9
    proc.wait()
    done = len(list(results.glob("*.json")))
    assert 4 <= done < SIZE, f"{done} students were finished when the run was killed"
    for _ in range(100):  # kernels die with their workers (parent-death signals)
        if not _sandbox_processes():
            break
        time.sleep(0.05)
    assert not _sandbox_processes()

    again = run([BIN / "autograder", "grade", WARMUP, "--workers", "2", "--quiet"], cwd=killed.root)
    finished_before = int(re.search(rf"(\d+) of {SIZE} students were graded already", again.stdout).group(1))
    assert finished_before >= done
    run([BIN / "autograder", "grade", WARMUP, "--workers", "2", "--quiet"], cwd=whole.root)

    assert killed.scores(WARMUP) == whole.scores(WARMUP)
    assert len(killed.scores(WARMUP)) == SIZE
    with Gradebook(f"sqlite:///{killed.root / 'gradebook.db'}") as gb:  # nothing counted twice
        subs = gb.assignment_submissions(WARMUP)
        assert len(subs) == SIZE
        cells = len(gb.find_assignment(WARMUP).notebooks[0].grade_cells)
        assert all(len(sub.notebooks[0].grades) == cells for sub in subs)

    def rows(course):
        with open(course.root / "grades.csv", newline="") as fh:
            return sorted((r["student_id"], r["raw_score"]) for r in csv.DictReader(fh))

    assert rows(killed) == rows(whole) and len(rows(killed)) == SIZE
    assert not list((killed.root / "autograded").glob(f"*/{WARMUP}.new"))

    # a third run has nothing left to do, and changes nothing
    third = run([BIN / "autograder", "grade", WARMUP, "--quiet"], cwd=killed.root)
    assert f"{SIZE} of {SIZE} students were graded already" in third.stdout
    assert killed.scores(WARMUP) == whole.scores(WARMUP)
    assert json.loads((results / sorted(p.name for p in results.glob("*.json"))[0]).read_text())["status"] == "graded"
