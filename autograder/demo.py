"""``autograder demo``: a newcomer's one-command tour of the instructor side.

It builds a sample class in a course folder of its own (a new temporary folder unless ``--into`` names
one; never the instructor's gradebook), grades it with ``autograder grade`` and says where everything is:
the gradebook, the autograded notebooks, the feedback and the report.
"""
import shutil
import tempfile
from pathlib import Path

import nbformat

from . import sample
from .course import CourseError, load_api, run_step
from .grade import Limits, Settings, grade


def build_course(root, into, assignment):
    """A course folder holding the course's config and one assignment's source, released with nbgrader."""
    into = Path(into)
    if into.exists() and any(into.iterdir()):
        raise CourseError(f"{into} is not empty: the demo needs a folder of its own")
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(root) / "nbgrader_config.py", into / "nbgrader_config.py")
    api = load_api(root)
    source = Path(api.coursedir.root) / api.coursedir.source_directory / assignment
    if not source.is_dir():
        raise CourseError(f"no assignment '{assignment}' in {source.parent}")
    shutil.copytree(source, into / api.coursedir.source_directory / assignment)
    demo_api = load_api(into)
    run_step(demo_api.generate_assignment(assignment, force=True, create=True), f"releasing {assignment}")
    return demo_api


def demo(root, students=30, into=None, assignment="00_warmup", workers=0, log=print):
    into = into or tempfile.mkdtemp(prefix="autograder-demo-")
    log(f"Building a sample class of {students} in {into} (a course of its own: your gradebook is not touched)")
    api = build_course(root, into, assignment)
    course = Path(api.coursedir.root)
    folder = course / api.coursedir.source_directory / assignment
    names = sorted(p.name for p in folder.glob("*.ipynb"))
    if not names:
        raise CourseError(f"{assignment} has no notebook")
    name = names[0]
    source_nb = nbformat.read(folder / name, as_version=4)
    released = nbformat.read(course / api.coursedir.release_directory / assignment / name, as_version=4)
    kinds = {}
    for student, (label, nb) in sample.sample_class(released, source_nb, size=max(4, students - 1)).items():
        target = course / api.coursedir.submitted_directory / student / assignment
        target.mkdir(parents=True)
        nbformat.write(nb, target / name)
        (target / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        kinds[student] = label
    broken = course / api.coursedir.submitted_directory / "student999" / assignment
    broken.mkdir(parents=True)
    (broken / name).write_text(nbformat.writes(released)[:-300])  # a damaged upload
    kinds["student999"] = "a damaged file"
    log("The sample class:")
    for student, label in kinds.items():
        log(f"  {student}: {label}")
    log("")
    outcome = grade(course, assignment, settings=Settings(workers=workers, limits=Limits(timeout=120)), log=log)
    log("")
    log(f"The demo course is {course}")
    log(f"  gradebook      {course / 'gradebook.db'}   (nbgrader formgrader: cd {course} && nbgrader formgrader)")
    log(f"  autograded     {course / api.coursedir.autograded_directory}")
    log(f"  feedback       {course / api.coursedir.feedback_directory}/STUDENT/{assignment}/{name[:-6]}.html")
    log(f"  report         {outcome.get('report')}")
    log(f"Delete it when you are done: rm -rf {course}")
    return outcome
