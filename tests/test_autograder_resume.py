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
from processes import Descendants

from autograder import sample

WARMUP = "00_warmup"
SIZE = 12


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
    with Descendants() as started:
        proc = subprocess.Popen([str(BIN / "autograder"), "grade", WARMUP, "--workers", "2", "--quiet"],
                                cwd=killed.root, env=env(), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the event: a fourth student's result is written (however long that takes on this machine)
        while proc.poll() is None and len(list(results.glob("*.json"))) < 4:
            time.sleep(0.02)
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before it could be killed"
        os.killpg(proc.pid, signal.SIGSTOP)  # frozen at once: no result is written after the count
        done = len(list(results.glob("*.json")))
        os.killpg(proc.pid, signal.SIGKILL)  # the whole command and its workers: kill -9
        proc.wait()
        # their kernels die with them (parent-death signals): nothing the run started is left
        left = started.left_behind()
        started.stop_leftovers()
    assert 4 <= done < SIZE, f"{done} students were finished when the run was killed"
    assert not left, f"processes still running after the kill: {left}"

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
