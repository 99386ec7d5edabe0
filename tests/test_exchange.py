"""nbgrader's exchange end to end: one instructor and two students on one machine, no hub.

Everything goes through the commands people run: nbgrader's own (generate_assignment, release_assignment,
db assignment add, list, fetch_assignment, submit, collect, release_feedback, fetch_feedback) and
`autograder grade` (autograde, feedback and grades.csv in one command) in a temporary exchange folder.
Each person has a home folder of their own with their own ``~/.jupyter/nbgrader_config.py``; the students'
configs name them (``CourseDirectory.student_id``) because every process here runs as the same OS user, where
on a shared server each student would be a separate account and nbgrader would take the account name.
"""
import csv
import datetime
import html
import math
import re
import runpy
import subprocess

import nbformat
import pytest
from nbgrader.api import Gradebook

from harness import BIN, REPO, Course, env, solution_source

WARMUP = "00_warmup"
SIN_SLIP = "def grad_f(x):\n    return x - np.cos(x)\n"          # alice's first try
HALF_SLIP = "def grad_f(x):\n    return 2 * x + np.cos(x)\n"      # bob's (late) submission
SIN_LABEL = "[wrong derivative of sin: d sin(u)/du = +cos(u)]"
HALF_LABEL = "[forgot the ½ in ½‖x‖²]"


class Person:
    """Someone with a home folder and an nbgrader config there, running nbgrader commands in a folder."""

    def __init__(self, home, config, cwd=None):
        self.home = home
        self.cwd = cwd or home
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n" + "".join(f"{line}\n" for line in config))

    def nbgrader(self, *args):
        return self.run("nbgrader", *args)

    def run(self, command, *args):
        e = env()
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            e.pop(var, None)
        e["HOME"] = str(self.home)
        proc = subprocess.run([str(BIN / command), *args], cwd=self.cwd, env=e,
                              capture_output=True, text=True, timeout=600)
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise AssertionError(f"{command} {' '.join(args)} (HOME={self.home}) exited {proc.returncode}\n"
                                 f"{output[-4000:]}")
        return output


class Student(Person):
    def __init__(self, tmp_path, name, exchange):
        super().__init__(tmp_path / "home" / name, [
            'c.CourseDirectory.course_id = "matcalc"',
            f'c.CourseDirectory.student_id = "{name}"',
            f'c.Exchange.root = r"{exchange}"',
        ])
        self.name = name

    @property
    def notebook(self):
        return self.home / WARMUP / f"{WARMUP}.ipynb"

    def answer(self, course, answers):
        """Fill every solution cell of the fetched notebook: correctly, except the ones in ``answers``."""
        source = nbformat.read(course.root / "solutions" / WARMUP / f"{WARMUP}.ipynb", as_version=4)
        right = {c.metadata["nbgrader"]["grade_id"]: solution_source(c.source)
                 for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
        nb = nbformat.read(self.notebook, as_version=4)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code":
                cell.source = answers.get(gid, right[gid])
        nbformat.write(nb, self.notebook)

    def cached_submissions(self):
        """Timestamps of this student's submissions, from nbgrader's cache in their home folder."""
        cache = self.home / ".local" / "share" / "jupyter" / "nbgrader_cache" / "matcalc"
        return sorted((p / "timestamp.txt").read_text().strip() for p in cache.glob(f"{self.name}+{WARMUP}+*"))

    def fetched_feedback(self):
        """{submission timestamp: feedback text} that fetch_feedback brought into the student's folder."""
        root = self.home / WARMUP / "feedback"
        return {d.name: html.unescape((d / f"{WARMUP}.html").read_text(encoding="utf-8"))
                for d in sorted(root.iterdir())} if root.is_dir() else {}


def utc(ts):
    """An nbgrader timestamp ("2026-11-24 12:00:00.123456 UTC") as an aware datetime."""
    return datetime.datetime.strptime(ts.replace(" UTC", ""), "%Y-%m-%d %H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc)


def late_policy():
    """The late-submission settings of the real course config (nbgrader_config.py)."""
    class Config(dict):
        def __getattr__(self, name):
            return self.setdefault(name, Config())

    config = Config()
    runpy.run_path(str(REPO / "nbgrader_config.py"), init_globals={"get_config": lambda: config})
    return config


def test_release_fetch_submit_collect_grade_feedback(tmp_path):
    course = Course.copy(tmp_path, [WARMUP])            # instructor: nbgrader generate_assignment
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)                                # nbgrader's exchange must exist and be writable by all
    instructor = Person(tmp_path / "home" / "instructor", [f'c.Exchange.root = r"{exchange}"'], cwd=course.root)
    alice, bob = (Student(tmp_path, name, exchange) for name in ("alice", "bob"))

    instructor.nbgrader("release_assignment", WARMUP)
    for student in (alice, bob):
        assert re.search(rf"matcalc {WARMUP}\b", student.nbgrader("list")), "the released assignment is listed"

    # alice fetches, submits a wrong gradient, fixes it and submits again, all before the due date.
    alice.nbgrader("fetch_assignment", WARMUP)
    alice.answer(course, {"grad_f": SIN_SLIP})
    alice.nbgrader("submit", WARMUP)
    alice.answer(course, {})
    alice.nbgrader("submit", WARMUP)
    first, second = alice.cached_submissions()
    assert first < second
    assert alice.nbgrader("list", "--cached").count(f"alice {WARMUP}") == 2

    # The deadline passes: the instructor records it as the due date, then bob submits.
    deadline = datetime.datetime.now(datetime.timezone.utc)
    instructor.nbgrader("db", "assignment", "add", WARMUP,
                        f"--duedate={deadline:%Y-%m-%d %H:%M:%S.%f} UTC")
    bob.nbgrader("fetch_assignment", WARMUP)
    bob.answer(course, {"grad_f": HALF_SLIP})
    bob.nbgrader("submit", WARMUP)
    (bob_ts,) = bob.cached_submissions()
    assert utc(second) < deadline < utc(bob_ts)
    inbound = instructor.nbgrader("list", "--inbound")
    assert inbound.count(f"alice {WARMUP}") == 2 and inbound.count(f"bob {WARMUP}") == 1, inbound

    # Collect with nbgrader; grade, write feedback and grades.csv with autograder; release with nbgrader.
    instructor.nbgrader("collect", WARMUP)
    instructor.run("autograder", "grade", WARMUP, "--quiet")
    instructor.nbgrader("release_feedback", WARMUP)

    # The latest submission is the one collected and graded.
    assert (course.root / "submitted" / "alice" / WARMUP / "timestamp.txt").read_text().strip() == second
    scores, maxes = course.scores(WARMUP), course.max_scores(WARMUP)
    auto = {gid for gid in maxes if gid.startswith("test_")}
    assert {g: scores["alice"][g] for g in auto} == {g: maxes[g] for g in auto}
    assert scores["bob"]["test_grad_f"] == 0
    assert {g: scores["bob"][g] for g in auto - {"test_grad_f"}} == {g: maxes[g] for g in auto - {"test_grad_f"}}

    # The configured late penalty: a fraction of the score per started day late (bob: a few seconds, 1 day).
    config = late_policy()
    assert config.AssignLatePenalties.plugin_class == "autograder.late.DailyLatePenalty"
    fraction = config.DailyLatePenalty.fraction_per_day
    assert 0 < fraction <= 1
    bob_raw = sum(scores["bob"].values())
    days_late = math.ceil((utc(bob_ts) - deadline).total_seconds() / 86400)
    assert days_late == 1
    expected_penalty = min(bob_raw, fraction * days_late * bob_raw)
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        assert gb.find_submission(WARMUP, "alice").late_submission_penalty == 0
        assert gb.find_submission(WARMUP, "bob").late_submission_penalty == pytest.approx(expected_penalty)

    with open(course.root / "grades.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == {"alice", "bob"}
    assert float(rows["alice"]["late_submission_penalty"]) == 0
    assert float(rows["alice"]["raw_score"]) == float(rows["alice"]["score"]) == sum(maxes[g] for g in auto)
    assert float(rows["bob"]["raw_score"]) == pytest.approx(bob_raw)
    assert float(rows["bob"]["late_submission_penalty"]) == pytest.approx(expected_penalty)
    assert float(rows["bob"]["score"]) == pytest.approx(bob_raw - expected_penalty)
    assert rows["bob"]["timestamp"].startswith(bob_ts[:19])

    # Each student's fetch_feedback brings back their own feedback only, for the graded submission.
    listing = alice.nbgrader("list", "--cached")
    assert re.search(rf"{re.escape(second)} \(feedback ready to be fetched\)", listing), listing
    assert re.search(rf"{re.escape(first)} \(no feedback available\)", listing), listing
    assert len(list((exchange / "matcalc" / "feedback").glob("*.html"))) == 2   # both students' feedback
    for student in (alice, bob):
        student.nbgrader("fetch_feedback", WARMUP)
    alice_fb, bob_fb = alice.fetched_feedback(), bob.fetched_feedback()
    assert list(alice_fb) == [second], list(alice_fb)
    assert list(bob_fb) == [bob_ts], list(bob_fb)
    (alice_text,), (bob_text,) = alice_fb.values(), bob_fb.values()
    assert HALF_LABEL in bob_text                         # bob's own mistake, named for him
    assert HALF_LABEL not in alice_text and SIN_LABEL not in alice_text  # nothing of bob's, nor her first try
    assert SIN_LABEL not in bob_text
    assert alice_text != bob_text


def test_daily_late_penalty_policy():
    """The plugin's arithmetic: a started day costs a tenth (as configured), never more than the score."""
    from autograder.late import DailyLatePenalty

    plugin = DailyLatePenalty(fraction_per_day=0.1)
    assert plugin.late_submission_penalty("s", 8.0, 0) is None
    assert plugin.late_submission_penalty("s", 8.0, 1) == pytest.approx(0.8)
    assert plugin.late_submission_penalty("s", 8.0, 86400) == pytest.approx(0.8)
    assert plugin.late_submission_penalty("s", 8.0, 86401) == pytest.approx(1.6)
    assert plugin.late_submission_penalty("s", 8.0, 30 * 86400) == pytest.approx(8.0)
    assert plugin.late_submission_penalty("s", 0.0, 5 * 86400) is None
