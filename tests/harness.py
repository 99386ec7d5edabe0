"""Run the real nbgrader loop in a temporary copy of the course.

    course = Course.copy(tmp_path, ["03_jacobian"])     # solutions/ + config, assignment generated
    nb = course.student_notebook("03_jacobian")           # released notebook filled with the solutions
    course.submit("03_jacobian", "alice", nb)
    course.submit("03_jacobian", "bob", course.student_notebook("03_jacobian", {"jacobian_tanh": WRONG}))
    course.autograde("03_jacobian")
    course.scores("03_jacobian")["bob"]                   # {grade_id: score}
    course.feedback("03_jacobian", "bob")                 # HTML text of nbgrader's feedback
    course.feedback_errors("03_jacobian", "bob")          # only the raised error messages in it

Check diagnoses with ``feedback_errors``: the feedback also shows the visible test code, which may
contain the very words (e.g. a ``mistakes=`` label), so searching the whole HTML can pass vacuously.
"""
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SOLUTION_REGION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(?:\n|\Z)", re.M)
ERROR_OUTPUT = re.compile(r'class="[^"]*output_error[^"]*">\s*<pre>(.*?)</pre>', re.S)
EXCEPTION_LINE = re.compile(r"^\w+: ", re.M)


def env():
    """The environment for nbgrader commands: the venv's bin/ first (nbgrader needs `alembic`)."""
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


def run(args, cwd, check=True, timeout=900):
    """Run a command; on failure raise with its output so the test report shows why."""
    proc = subprocess.run(args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def nbgrader(*args, cwd, check=True):
    return run([str(BIN / "nbgrader"), *args], cwd=cwd, check=check)


def solution_source(source):
    """A solution cell as a student who got it right would hand it in (markers removed)."""
    return SOLUTION_REGION.sub("", source)


class Course:
    def __init__(self, root):
        self.root = Path(root)

    @classmethod
    def copy(cls, tmp_path, assignments, generate=True):
        """A fresh course folder with the given assignments' sources, released with nbgrader."""
        root = Path(tmp_path) / "course"
        root.mkdir()
        shutil.copy(REPO / "nbgrader_config.py", root)
        for name in assignments:
            shutil.copytree(REPO / "solutions" / name, root / "solutions" / name)
        course = cls(root)
        if generate:
            for name in assignments:
                nbgrader("generate_assignment", name, "--force", cwd=root)
        return course

    def notebook_names(self, assignment):
        return sorted(p.name for p in (self.root / "exercises" / assignment).glob("*.ipynb"))

    def released(self, assignment, name=None):
        name = name or self.notebook_names(assignment)[0]
        return nbformat.read(self.root / "exercises" / assignment / name, as_version=4)

    def student_notebook(self, assignment, answers=None, name=None):
        """The released notebook with every solution cell answered correctly, except ``answers``.

        ``answers`` maps a solution cell's grade_id to the source the student writes there.
        """
        answers = dict(answers or {})
        name = name or self.notebook_names(assignment)[0]
        source = nbformat.read(self.root / "solutions" / assignment / name, as_version=4)
        solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                     if c.metadata.get("nbgrader", {}).get("solution")}
        nb = self.released(assignment, name)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                gid = meta["grade_id"]
                cell.source = answers.pop(gid) if gid in answers else solution_source(solutions[gid])
        if answers:
            raise KeyError(f"no solution cells named {sorted(answers)} in {assignment}/{name}")
        return nb

    def submit(self, assignment, student, notebook, name=None, timestamp="2026-11-20 10:00:00.000000 UTC"):
        name = name or self.notebook_names(assignment)[0]
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, (str, bytes)):
            (folder / name).write_bytes(notebook.encode() if isinstance(notebook, str) else notebook)
        else:
            nbformat.write(notebook, folder / name)
        (folder / "timestamp.txt").write_text(timestamp)
        return folder / name

    def autograde(self, assignment, *extra, check=True):
        return nbgrader("autograde", assignment, "--force", *extra, cwd=self.root, check=check)

    def scores(self, assignment):
        """{student: {grade_id: score}} for every autograded item, read from the gradebook."""
        result = {}
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            for sub in gb.assignment_submissions(assignment):
                items = {}
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.auto_score is not None or grade.cell.cell_type == "code":
                            items[grade.name] = grade.score
                result[sub.student.id] = items
        return result

    def max_scores(self, assignment):
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            return {cell.name: cell.max_score for nb in gb.find_assignment(assignment).notebooks
                    for cell in nb.grade_cells}

    def feedback(self, assignment, student):
        """nbgrader's feedback HTML for one student (generated on demand)."""
        folder = self.root / "feedback" / student / assignment
        if not folder.exists():
            nbgrader("generate_feedback", assignment, "--force", cwd=self.root)
        return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html")))

    def feedback_errors(self, assignment, student):
        """The message of every exception shown in the student's feedback (the traceback's last line on)."""
        messages = []
        for block in ERROR_OUTPUT.findall(self.feedback(assignment, student)):
            text = html.unescape(re.sub(r"<[^>]+>", "", block))
            starts = [m.start() for m in EXCEPTION_LINE.finditer(text)]
            if starts:
                messages.append(text[starts[-1]:])
        return "\n".join(messages)


class PlantedMistakes:
    """One assignment graded once by ``nbgrader autograde``: a correct student and one student per mistake.

    ``mistakes`` maps a student to (solution cell, wrong source, graded item that must drop to 0, words
    the feedback's error messages must contain).
    """

    def __init__(self, tmp_path_factory, assignment, mistakes):
        self.assignment, self.mistakes = assignment, mistakes
        self.course = Course.copy(tmp_path_factory.mktemp(assignment), [assignment])
        self.course.submit(assignment, "correct", self.course.student_notebook(assignment))
        for student, (cell, source, _, _) in mistakes.items():
            self.course.submit(assignment, student, self.course.student_notebook(assignment, {cell: source}))
        self.course.autograde(assignment)
        maxes = self.course.max_scores(assignment)
        self.auto = {gid: points for gid, points in maxes.items() if gid.startswith("test_")}
        self.scores = self.course.scores(assignment)

    def assert_correct_student_gets_every_point(self, items):
        """``items``: the auto-graded grade ids (a set), or {grade id: points}."""
        assert (self.auto if isinstance(items, dict) else set(self.auto)) == items
        assert all(points > 0 for points in self.auto.values())
        assert {gid: self.scores["correct"][gid] for gid in self.auto} == self.auto
        assert self.course.feedback_errors(self.assignment, "correct") == ""

    def assert_only_item_lost(self, student):
        """The student's mistake costs its item, nothing else, and the feedback names it."""
        _, _, item, words = self.mistakes[student]
        got = self.scores[student]
        assert got[item] == 0, f"{student} kept points on {item}"
        others = {gid: got[gid] for gid in self.auto if gid != item}
        assert others == {gid: self.auto[gid] for gid in others}, f"{student} lost points elsewhere: {others}"
        messages = self.course.feedback_errors(self.assignment, student)
        for word in words:
            assert word in messages, f"the feedback of {student} does not say {word!r}; its errors:\n{messages}"
