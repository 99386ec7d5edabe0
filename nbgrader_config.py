"""nbgrader configuration of the course: the repository root is the course root."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "matcalc"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# Runtime folders (git-ignored): submitted/, autograded/, feedback/, gradebook.db

# What a student sees where a solution was cleared.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A student's cell may run for at most this many seconds during validation and grading.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Late submissions (after the due date, e.g. `nbgrader db assignment add NAME --duedate="2026-12-01 23:59 UTC"`):
# 10 % of a notebook's score per started day late, at most the whole score (autograder/late.py).
c.AssignLatePenalties.plugin_class = "autograder.late.DailyLatePenalty"
c.DailyLatePenalty.fraction_per_day = 0.10
