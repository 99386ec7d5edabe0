"""Feedback that shows each test's outcome and message but never the source of hidden tests.

nbgrader's generate_feedback renders the autograded notebook, whose test cells hold the hidden tests
that autograding put back (nbgrader issue #917), and IPython tracebacks quote the lines around a
failure.  :class:`HideHiddenTests` is an extra nbgrader preprocessor for the GenerateFeedback converter:
it replaces each ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` region by a one-line notice
and removes those lines from every traceback frame that quotes them (a function defined in a hidden
region and failing later included), keeping the error type and message.  The autograded notebook itself
is not changed, so formgrader still shows the instructor everything.  :class:`HideInstructorPaths`
shortens the instructor's absolute paths in tracebacks and printed warnings (``matcalc/checks.py``, not
``/home/instructor/course/matcalc/checks.py``).

Each page is then made readable anywhere (:func:`offline_page`): long lines wrap, and the mathematics is
rendered by a copy of MathJax inlined into the page (from the ``django-static-mathjax`` package), not
loaded from a CDN, so a page opened without internet, or handed back through nbgrader's exchange,
shows formulas rather than raw LaTeX.

To get the same from plain ``nbgrader generate_feedback``, add to ``nbgrader_config.py``::

    from autograder.feedback import HideHiddenTests
    from nbgrader.preprocessors import GetGrades
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, HideInstructorPaths, CSSHTMLHeaderPreprocessor]
"""
import copy
import functools
import glob
import html
import os
import re
import sys
import tempfile

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


ABSOLUTE_PATH = re.compile(r"/(?:[\w.@+-]+/)+[\w.@+-]+")


class HideInstructorPaths(NbGraderPreprocessor):
    """Shorten absolute paths of the grading machine in error and stream outputs (a student needs
    ``matcalc/checks.py``, and should not see where the instructor keeps the course)."""

    def preprocess(self, nb, resources):
        import matcalc
        course = self.config.get("CourseDirectory", {}).get("root") or os.getcwd()
        roots = {os.path.dirname(os.path.dirname(os.path.abspath(matcalc.__file__))), os.path.abspath(course),
                 sys.prefix, sys.base_prefix, os.path.expanduser("~"), tempfile.gettempdir()}
        self.roots = sorted((r.rstrip("/") for r in roots if r and r != "/"), key=len, reverse=True)
        return super().preprocess(nb, resources)

    def short(self, match):
        path = match.group(0)
        for marker in ("/site-packages/", "/dist-packages/"):
            if marker in path:
                return path.rsplit(marker, 1)[1]
        for root in self.roots:
            if path.startswith(root + "/"):
                return path[len(root) + 1:]
        stdlib = re.search(r"/lib/python3[\d.]*/", path)
        return path[stdlib.end():] if stdlib else path

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = [ABSOLUTE_PATH.sub(self.short, entry) for entry in output.get("traceback", [])]
                output["evalue"] = ABSOLUTE_PATH.sub(self.short, output.get("evalue", ""))
            elif output.get("output_type") == "stream":
                output["text"] = ABSOLUTE_PATH.sub(self.short, output.get("text", ""))
        return cell, resources


# -- pages readable offline ------------------------------------------------------------------------

CDN_MATHJAX = re.compile(r'<script[^>]*\bsrc="https?://[^"]*mathjax[^"]*"[^>]*>\s*</script>', re.I)
MATHJAX2_CONFIG = re.compile(r'<script type="text/x-mathjax-config">.*?</script>', re.S)
WRAP_CSS = """<style>
/* feedback: long lines wrap instead of running off the page */
pre, div.output_area pre, div.input_area pre, .highlight pre { white-space: pre-wrap; overflow-wrap: anywhere; }
div.output_subarea { max-width: 100%; overflow-x: visible; }
</style>"""
MATHJAX_CONFIG = r"""<script>
window.MathJax = {
  tex: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"},
  options: {enableMenu: false},
  svg: {fontCache: "global"}
};
</script>"""


@functools.lru_cache(maxsize=1)
def mathjax_source():
    """MathJax 3 with SVG output (one self-contained file, fonts included) from django-static-mathjax."""
    try:
        import mathjax  # the django-static-mathjax package: MathJax's own distribution files
    except ImportError:
        raise RuntimeError("feedback pages need the django-static-mathjax package: run `make install`") from None
    path = os.path.join(os.path.dirname(mathjax.__file__), "static", "mathjax", "es5", "tex-svg.js")
    with open(path, encoding="utf-8") as fh:
        return fh.read().replace("</script", "<\\/script")


def offline_page(text):
    """A feedback page that needs no network: MathJax inlined instead of nbconvert's CDN link, lines wrapped."""
    text = MATHJAX2_CONFIG.sub("", CDN_MATHJAX.sub("", text))
    head = f"{WRAP_CSS}\n{MATHJAX_CONFIG}\n<script>{mathjax_source()}</script>\n"
    return text.replace("</head>", head + "</head>", 1) if "</head>" in text else head + text


def make_offline(folder):
    """:func:`offline_page` for every HTML page in ``folder``."""
    for path in glob.glob(os.path.join(folder, "*.html")):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if "window.MathJax = {" in text:
            continue
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(offline_page(text))


def feedback_config(config):
    """The course config with our preprocessors in nbgrader's feedback pipeline."""
    config = copy.deepcopy(Config(config))
    config.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, HideInstructorPaths,
                                             CSSHTMLHeaderPreprocessor]
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
    make_offline(os.path.join(coursedir.root, coursedir.feedback_directory, job.student, job.assignment))
    return TaskResult(kind="feedback", student=job.student)


def regenerate(api, assignment, students=None, log=print):
    """Feedback again (after manual grading in formgrader), hidden tests removed, for autograded students.

    Says who got feedback and who was skipped, and why: a named student without an autograded
    submission, or a submission that could not be graded (its "could not be graded" page is kept).
    """
    root = api.coursedir.root
    folder = os.path.join(root, api.coursedir.autograded_directory)
    found = sorted(s for s in os.listdir(folder) if os.path.isdir(os.path.join(folder, s, assignment))) \
        if os.path.isdir(folder) else []
    chosen = [s for s in found if not students or s in students]
    skipped = {s: "no autograded submission" for s in (students or []) if s not in found}
    results = os.path.join(root, "reports", assignment, "students")
    if not students and os.path.isdir(results):
        for name in sorted(os.listdir(results)):
            student = name[:-len(".json")]
            if name.endswith(".json") and student not in found:
                skipped[student] = "not gradable (its 'could not be graded' page is kept)"
    failed = []
    for student in chosen:
        from .results import FeedbackJob, Status
        outcome = generate(FeedbackJob(student=student, assignment=assignment, config=api.config))
        if outcome.status != Status.OK:
            failed.append(f"{student}: {'; '.join(outcome.notes)}")
    done = len(chosen) - len(failed)
    log(f"feedback for {done} student{'' if done == 1 else 's'}: "
        f"{os.path.join(root, api.coursedir.feedback_directory)}/STUDENT/{assignment}/")
    for student, why in sorted(skipped.items()):
        log(f"  skipped {student}: {why}")
    for line in failed:
        log("  failed " + line)
    if not chosen and not students:
        log(f"  nobody has an autograded submission of {assignment}: run `autograder grade {assignment}` first")
    return not failed and not (students and skipped)


def not_gradable_page(path, assignment, student, notes):
    """A feedback page for a submission nbgrader could not grade (nothing autograded to render)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>no notebook was handed in</li>"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(assignment)}</title></head>"
                 f"<body><h1>{html.escape(assignment)}: your submission could not be graded</h1><ul>{items}</ul>"
                 "<p>Every auto-graded item scored 0. Hand in the notebook again, saved from Jupyter, or ask your "
                 "instructor.</p></body></html>")
