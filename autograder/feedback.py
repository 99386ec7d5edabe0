"""Feedback that shows each test's outcome and message but never the source of hidden tests.

nbgrader's generate_feedback renders the autograded notebook, whose test cells hold the hidden tests
that autograding put back (nbgrader issue #917), and IPython tracebacks quote the lines around a
failure.  :class:`HideHiddenTests` is an extra nbgrader preprocessor for the GenerateFeedback converter:
it replaces each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region by a one-line notice
and removes those lines from every traceback frame that quotes them (a function defined in a hidden
region and failing later included), keeping the error type and message.  The autograded notebook itself
is not changed, so formgrader still shows the instructor everything.

To get the same from plain ``nbgrader generate_feedback``, add to ``nbgrader_config.py``::

    from autograder.feedback import HideHiddenTests
    from nbgrader.preprocessors import GetGrades
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
"""
import copy
import html
import os
import re

from nbconvert.filters import strip_ansi
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from nbgrader.utils import capture_log
from traitlets import Unicode
from traitlets.config import Config

FRAME = re.compile(r"^\s*(?:Cell In ?\[(\d+)\], line (\d+)|Input In ?\[(\d+)\])")
LINE = re.compile(r"^(\s*-*>?\s*)(\d+)(\s|$)")


class HideHiddenTests(NbGraderPreprocessor):
    """Replace hidden-test source by a notice, in cells and in tracebacks."""

    notice = Unicode("### Hidden tests: not shown. They run when your notebook is graded, at fresh random "
                     "points and shapes.", help="What replaces a hidden-test region.").tag(config=True)

    def preprocess(self, nb, resources):
        delimiters = ClearHiddenTests(parent=self)
        self.begin, self.end = delimiters.begin_test_delimeter, delimiters.end_test_delimeter
        self.hidden = {}  # execution count -> hidden line numbers (1-based) of that cell's source
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("execution_count"):
                lines = self._hidden_lines(cell.source)
                if lines:
                    self.hidden[cell.execution_count] = lines
        return super().preprocess(nb, resources)

    def _hidden_lines(self, source):
        hidden, inside = set(), False
        for number, line in enumerate(source.split("\n"), 1):
            if self.begin in line:
                inside = True
            if inside:
                hidden.add(number)
            if self.end in line:
                inside = False
        return hidden

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._hidden_lines(cell.source):
            kept, inside = [], False
            for line in cell.source.split("\n"):
                if self.begin in line:
                    inside = True
                    indent = line[:len(line) - len(line.lstrip())]
                    kept.append(indent + self.notice)
                elif self.end in line:
                    inside = False
                elif not inside:
                    kept.append(line)
            cell.source = "\n".join(kept)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and self.hidden:
                output["traceback"] = [self._scrub(entry) for entry in output.get("traceback", [])]
        return cell, resources

    def _scrub(self, entry):
        plain = strip_ansi(entry)
        match = FRAME.match(plain)
        if not match:
            return entry
        count = int(match.group(1) or match.group(3))
        hidden = self.hidden.get(count)
        if not hidden:
            return entry
        lines = plain.split("\n")
        header = lines[0]
        if match.group(2) and int(match.group(2)) in hidden:
            header = f"Cell In[{count}], in the hidden tests"
        out = [header]
        for line in lines[1:]:
            number = LINE.match(line)
            if number and int(number.group(2)) in hidden:
                if "->" in number.group(1):
                    out.append("----> (a line of the hidden tests)")
                continue
            out.append(line)
        return "\n".join(out)


def feedback_config(config):
    """The course config with our preprocessor in nbgrader's feedback pipeline."""
    config = copy.deepcopy(Config(config))
    config.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
    config.HTMLExporter.template_name = "feedback"
    return config


def generate(job):
    """Feedback for one student (a :class:`FeedbackJob`): nbgrader's GenerateFeedback, on the course gradebook."""
    from .results import Status, TaskResult
    config = feedback_config(job.config)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id, coursedir.student_id = job.assignment, job.student
    app = GenerateFeedback(coursedir=coursedir, config=config)
    app.force = True
    outcome = capture_log(app)
    if not outcome["success"]:
        error = (outcome.get("error") or "").strip().splitlines()
        return TaskResult(kind="feedback", status=Status.ERROR, student=job.student,
                          notes=["feedback failed: " + (error[-1] if error else "no details")])
    return TaskResult(kind="feedback", student=job.student)


def regenerate(api, assignment, students=None, log=print):
    """Feedback again (after manual grading in formgrader), hidden tests removed, for autograded students."""
    folder = os.path.join(api.coursedir.root, api.coursedir.autograded_directory)
    found = sorted(s for s in os.listdir(folder) if os.path.isdir(os.path.join(folder, s, assignment))) \
        if os.path.isdir(folder) else []
    chosen = [s for s in found if not students or s in students]
    failed = []
    for student in chosen:
        from .results import FeedbackJob, Status
        outcome = generate(FeedbackJob(student=student, assignment=assignment, config=api.config))
        if outcome.status != Status.OK:
            failed.append(f"{student}: {'; '.join(outcome.notes)}")
    log(f"feedback for {len(chosen) - len(failed)} student(s): "
        f"{os.path.join(api.coursedir.root, api.coursedir.feedback_directory)}/STUDENT/{assignment}/")
    for line in failed:
        log("  " + line)
    return not failed


def not_gradable_page(path, assignment, student, notes):
    """A feedback page for a submission nbgrader could not grade (nothing autograded to render)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>no notebook was handed in</li>"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}</title></head>"
                 f"<body><h1>{html.escape(assignment)}: your submission could not be graded</h1><ul>{items}</ul>"
                 "<p>Every auto-graded item scored 0. Hand in the notebook again, saved from Jupyter, or ask your "
                 "instructor.</p></body></html>")
