"""The course folder as nbgrader sees it: its configuration and nbgrader's Python API."""
import os
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader


class CourseError(Exception):
    """A problem with the course folder or an nbgrader step, explained for the instructor."""


def find_root(start="."):
    """The nearest folder at or above ``start`` that holds ``nbgrader_config.py``."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise CourseError(f"no nbgrader_config.py in {here} or above: run this inside the course folder")


def load_config(root):
    """The course's ``nbgrader_config.py``, with the root pinned to ``root``."""
    root = Path(root).resolve()
    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def load_api(root, config=None):
    """nbgrader's API configured by the course's ``nbgrader_config.py`` (or ``config``)."""
    config = config or load_config(root)
    # nbgrader runs `alembic` when it creates a gradebook: make the one beside this Python findable.
    bin_dir = os.path.dirname(os.path.abspath(os.sys.executable))
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def assignments(root):
    """Names of the assignments in the course's source folder, in order."""
    api = load_api(root)
    source = Path(api.coursedir.root) / api.coursedir.source_directory
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def run_step(result, what):
    """Raise :class:`CourseError` with nbgrader's own log when an API call failed."""
    if not result.get("success"):
        detail = (result.get("log") or "") + (result.get("error") or "")
        raise CourseError(f"{what} failed:\n{detail.strip()}")
    return result
