"""What was handed in: find submissions, collect uploaded files with nbgrader's zip_collect, and look
at each notebook before nbgrader does, so that a bad file gets a clear message instead of a traceback.

Two layouts are accepted:

* nbgrader's ``submitted/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb`` (from ``nbgrader collect``), and
* a folder of uploads named by student: ``alice.ipynb`` (single-notebook assignments) or ``alice.zip``
  (any notebooks, any folders inside).  These go through nbgrader's ``zip_collect`` with
  :class:`UploadCollector` as its file-name plugin and land in the course's ``submitted/`` folder.
"""
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile
from collections import Counter

import nbformat
from nbgrader.apps.zipcollectapp import ZipCollectApp
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.plugins import FileNameCollectorPlugin
from nbgrader.utils import parse_utc
from traitlets import List, Unicode

from . import tamper

MAX_SUBMISSION_BYTES = 200 << 20
MAX_SUBMISSION_FILES = 2000


def student_id(name):
    """A safe student id from an upload's file name."""
    return re.sub(r"[^A-Za-z0-9_.@+-]", "_", name).strip("._") or "unnamed"


# -- finding submissions ---------------------------------------------------------------------------

def is_nbgrader_layout(folder, assignment):
    folder = os.fspath(folder)
    return any(os.path.isdir(os.path.join(folder, name, assignment)) for name in os.listdir(folder))


def submissions(folder, assignment):
    """{student: path of STUDENT/ASSIGNMENT} in nbgrader's submitted layout."""
    found = {}
    if not os.path.isdir(folder):
        return found
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name, assignment)
        if os.path.isdir(path) and not name.startswith("."):
            found[name] = path
    return found


class UploadCollector(FileNameCollectorPlugin):
    """zip_collect plugin: ``alice.ipynb`` or ``alice.zip`` -> student ``alice``."""

    extracted = Unicode("", help="the extracted folder of this collection").tag(config=True)
    notebooks = List(Unicode(), help="the assignment's notebook file names").tag(config=True)

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        parts = os.path.relpath(submitted_file, self.extracted).split(os.sep)
        if len(parts) == 1:  # a bare upload: the whole name is the student
            if len(self.notebooks) != 1:
                self.log.warning("%s: upload a zip when an assignment has several notebooks", submitted_file)
                return None
            return {"student_id": student_id(os.path.splitext(parts[0])[0]), "file_id": self.notebooks[0]}
        return {"student_id": student_id(parts[0]), "file_id": parts[-1]}


def collect_uploads(api, assignment, uploads, notebooks, log=print):
    """Run nbgrader's zip_collect on a folder of uploads; return {student: [notes]} for refused uploads.

    Only new or changed uploads are collected: an upload whose file and collected folder are as the
    last collection left them (recorded in ``reports/ASSIGNMENT/uploads.json``) is not collected again,
    so a second run over the same folder rewrites nothing.  nbgrader's own log is kept to errors; what
    happened is said in one line.
    """
    notes = {}
    root = api.coursedir.root
    submitted = os.path.join(root, api.coursedir.submitted_directory)
    record_path = os.path.join(root, "reports", assignment, "uploads.json")
    record = _read_json(record_path)
    staging = tempfile.mkdtemp(prefix="autograder-collect-")
    try:
        archive = os.path.join(staging, "archive")
        os.makedirs(archive)
        newest = {}
        for name in sorted(os.listdir(uploads)):
            path = os.path.join(uploads, name)
            stem, ext = os.path.splitext(name)
            if not os.path.isfile(path) or ext.lower() not in (".ipynb", ".zip"):
                continue
            who = student_id(stem)
            if ext.lower() == ".zip" and not zipfile.is_zipfile(path):
                notes.setdefault(who, []).append(f"{name} is not a readable zip archive")
                continue
            if ext.lower() == ".ipynb" and len(notebooks) != 1:
                notes.setdefault(who, []).append(f"{name}: this assignment has {len(notebooks)} notebooks; "
                                                 "upload a zip holding all of them")
                continue
            if who in newest:  # alice.ipynb and alice.zip: keep the newer upload
                older = min(newest[who], path, key=os.path.getmtime)
                notes.setdefault(who, []).append(f"two uploads; used the newer one, ignored {os.path.basename(older)}")
                if older != newest[who]:
                    continue
            newest[who] = path
        unchanged = {who for who, path in newest.items()
                     if record.get(who) == {"upload": _file_hash(path),
                                            "collected": folder_hash(os.path.join(submitted, who, assignment))}}
        changed = {who: path for who, path in newest.items() if who not in unchanged}
        for path in changed.values():
            shutil.copy(path, os.path.join(archive, os.path.basename(path)))
        if changed:
            _zip_collect(api, assignment, staging, notebooks)
        collected = submissions(submitted, assignment)
        for who in newest:
            if who not in collected:
                notes.setdefault(who, []).append("the upload held no notebook")
        for who in changed:
            record[who] = {"upload": _file_hash(newest[who]),
                           "collected": folder_hash(os.path.join(submitted, who, assignment))}
        if changed:
            os.makedirs(os.path.dirname(record_path), exist_ok=True)
            with open(record_path, "w") as fh:
                json.dump(record, fh, indent=1, sort_keys=True)
        if changed:
            log(f"collected {len(changed)} upload(s) from {uploads} with nbgrader zip_collect"
                + (f" ({len(unchanged)} other(s) unchanged since the last collection)" if unchanged else ""))
        elif unchanged:
            log(f"the {len(unchanged)} upload(s) in {uploads} are unchanged since the last collection")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return notes


def _zip_collect(api, assignment, staging, notebooks):
    """nbgrader's zip_collect of ``staging/archive`` into the course's submitted folder, quietly."""
    config = api.config.copy() if hasattr(api.config, "copy") else api.config
    app = ZipCollectApp(config=config)
    app.log_level = logging.ERROR  # no "Directory not found. Creating", "Copying from" ... for every file
    app.coursedir = CourseDirectory(config=config)
    app.coursedir.root = api.coursedir.root
    app.coursedir.assignment_id = assignment
    app.force = True
    app.collect_directory_structure = os.path.join(staging, "{collect_step}")
    app.collector_plugin = UploadCollector
    app.init_plugins()
    app.collector_plugin_inst.extracted = os.path.join(staging, app.extracted_directory)
    app.collector_plugin_inst.notebooks = [n + ".ipynb" for n in notebooks]
    app.extractor_plugin_inst.force = True
    try:
        app.extract_archive_files()
        app.process_extracted_files()
    except SystemExit as exc:  # nbgrader's `fail` exits; say why instead
        raise RuntimeError(f"nbgrader zip_collect failed (exit {exc.code}); see the messages above") from None


def _read_json(path):
    try:
        with open(path) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _file_hash(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def folder_hash(folder):
    """What a folder holds (names and contents), or None when it does not exist."""
    if not os.path.isdir(folder):
        return None
    h = hashlib.sha256()
    for base, dirs, files in sorted(os.walk(folder)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            h.update(os.path.relpath(path, folder).encode() + b"\0")
            if os.path.isfile(path) and not os.path.islink(path):
                h.update(_file_hash(path).encode())
    return h.hexdigest()


# -- copying a submission safely --------------------------------------------------------------------

def copy_submission(src, dst):
    """Copy a submission folder, leaving out links and special files; refuse absurd sizes."""
    total, count = 0, 0
    os.makedirs(dst, exist_ok=True)
    skipped = []
    for folder, dirs, files in os.walk(src):
        rel = os.path.relpath(folder, src)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                skipped.append(os.path.join(rel, name))
                continue
            total += os.path.getsize(path)
            count += 1
            if total > MAX_SUBMISSION_BYTES or count > MAX_SUBMISSION_FILES:
                raise ValueError("the submission is too large (more than "
                                 f"{MAX_SUBMISSION_BYTES >> 20} MB or {MAX_SUBMISSION_FILES} files)")
            target = os.path.join(dst, rel, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(path, target)
    return [f"ignored {s} (a link or special file)" for s in skipped]


# -- looking at the notebooks ------------------------------------------------------------------------

def read_notebook(path):
    """(notebook, None) or (None, a reason a student can understand)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    name = os.path.basename(path)
    if not raw.strip():
        return None, f"{name} is an empty file"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (f"{name} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
                      "save the notebook from Jupyter again")
    try:
        json.loads(text)
    except ValueError as exc:
        return None, f"{name} is not valid JSON ({exc}); the file is damaged, save it from Jupyter again"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any reason nbformat gives
        return None, f"{name} is JSON but not a Jupyter notebook ({type(exc).__name__}: {exc})"
    if not isinstance(nb.get("cells"), list):
        return None, f"{name} has no cells"
    return nb, None


def read_timestamp(folder):
    """The submission time in ``folder/timestamp.txt`` if it is readable, else None (never changes files)."""
    path = os.path.join(folder or "", "timestamp.txt")
    try:
        with open(path) as fh:
            text = fh.read().strip()
        parse_utc(text)
        return text or None
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def timestamp_ok(folder):
    path = os.path.join(folder, "timestamp.txt")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as fh:
            text = fh.read().strip()
        if text:
            parse_utc(text)
        return None
    except (ValueError, OSError, UnicodeDecodeError):
        os.remove(path)
        return "ignored an unreadable timestamp.txt (no submission time recorded)"


def inspect(folder, expected, assignment=None, root=None):
    """Look at a submission (a scratch copy, repaired in place) before nbgrader grades it.

    ``expected`` maps each notebook name of the assignment to :func:`tamper.expected_cells`.  With
    ``assignment`` and the course ``root``, a notebook of another assignment of the course is named as
    such (:func:`identify_assignment`) and gets no points.  Returns
    ``{"notes": [...], "gradable": [names], "items": {grade_id: [reasons]}, "general": [reasons]}``.
    A notebook that cannot be graded is removed from the copy, so nbgrader scores it as missing (0).
    """
    notes, gradable, items, general = [], [], {}, []
    note = timestamp_ok(folder)
    if note:
        notes.append(note)
    present = sorted(f for f in os.listdir(folder) if f.endswith(".ipynb"))
    unknown = [f for f in present if f[:-len(".ipynb")] not in expected]
    for name, cells in expected.items():
        path = os.path.join(folder, name + ".ipynb")
        if not os.path.exists(path):
            renamed = _rename_lone_notebook(folder, name, unknown, cells, len(expected)) if unknown else None
            if renamed:
                notes.append(renamed)
            else:
                where = f" (found {', '.join(present)})" if present else ""
                notes.append(f"{name}.ipynb is missing{where}: 0 points for its items")
                continue
        nb, problem = read_notebook(path)
        if problem:
            notes.append(problem + ": 0 points for its items")
            os.remove(path)
            continue
        other = identify_assignment(nb, root) if assignment and root else None
        if other and other != assignment:
            notes.append(f"{name}.ipynb: {other_assignment_words(other, assignment)}: 0 points for its items")
            os.remove(path)
            continue
        ids = _grade_ids(nb)
        if cells and not ids & set(cells):
            notes.append(f"{name}.ipynb has none of the cells of this assignment (a notebook from another "
                         "assignment?): 0 points for its items")
            os.remove(path)
            continue
        spec = nb.metadata.get("kernelspec") or {}
        if spec.get("name") not in (None, "python3") or "2" == str(spec.get("language_version", ""))[:1]:
            notes.append(f"{name}.ipynb asks for the kernel '{spec.get('name')}' ({spec.get('display_name', '?')}); "
                         "it was graded with the assignment's Python 3 kernel")
        per_item, overall = tamper.compare_with_gradebook(nb, cells)
        for gid, reasons in per_item.items():
            items.setdefault(gid, []).extend(reasons)
        general.extend(overall)
        if _repair(nb, cells):
            nbformat.write(nb, path)
        gradable.append(name)
    for extra in unknown:
        if os.path.exists(os.path.join(folder, extra)):
            notes.append(f"ignored {extra}: the assignment has no notebook of that name")
    return {"notes": notes, "gradable": gradable, "items": items, "general": general}


# -- which assignment a notebook belongs to ---------------------------------------------------------

def identify_assignment(nb, root):
    """The assignment of the course at ``root`` whose notebook ``nb`` is, or None when none is clearly it.

    Every assignment shares some grade ids (``intro``, ``imports``), so one shared cell proves nothing.
    Each notebook is described by its nbgrader cells: their grade ids, and the text of the cells a
    student cannot change (locked, neither answer nor test).  What more than half of the course's
    notebooks have is no evidence and is left out; the rest of the submission's description is compared
    with every notebook in the course's source folder (``solutions/``) by overlap (Jaccard index), and
    the best match wins.  None when nothing distinctive overlaps, or when two assignments match equally.
    """
    mine = _signature(nb)
    if not mine or root is None:
        return None
    known = _course_signatures(os.path.abspath(os.fspath(root)), _source_stamp(root))
    counts = Counter(element for _, sig in known for element in sig)
    common = {e for e, n in counts.items() if n > len(known) / 2}  # `intro`, `imports`: no evidence
    mine -= common
    best, best_score, tie = None, 0.0, False
    for name, sig in known:
        sig = sig - common
        if not mine & sig:
            continue
        score = len(mine & sig) / len(mine | sig)
        if score > best_score + 1e-12:
            best, best_score, tie = name, score, False
        elif abs(score - best_score) <= 1e-12 and name != best:
            tie = True
    return None if tie else best


def other_assignment_words(found, expected):
    """What a student reads when the notebook handed in for ``expected`` is ``found``'s."""
    return (f"this is {found}'s notebook, not {expected}'s; hand in the notebook of {expected} "
            f"(exercises/{expected}/)")


def _signature(nb):
    sig = set()
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str):
            continue
        sig.add(("id", meta["grade_id"]))
        if meta.get("locked") and not meta.get("solution") and not meta.get("grade"):
            text = "\n".join(line.rstrip() for line in str(cell.get("source", "")).strip().splitlines())
            sig.add(("text", hashlib.sha256(text.encode()).hexdigest()))
    return sig


def _source_folder(root):
    from .course import load_config
    try:
        folder = load_config(root).CourseDirectory.get("source_directory") or "source"
    except Exception:  # noqa: BLE001 - no readable config: nbgrader's default
        folder = "source"
    return os.path.join(os.fspath(root), str(folder))


def _source_stamp(root):
    """Changes when a source notebook changes: the cache key of :func:`_course_signatures`."""
    folder = _source_folder(root)
    stamp = []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            sub = os.path.join(folder, name)
            if os.path.isdir(sub):
                stamp += [(name, f, os.stat(os.path.join(sub, f)).st_mtime_ns)
                          for f in sorted(os.listdir(sub)) if f.endswith(".ipynb")]
    return tuple(stamp)


@functools.lru_cache(maxsize=8)
def _course_signatures(root, stamp):
    folder = _source_folder(root)
    found = []
    for assignment, notebook, _ in stamp:
        nb, problem = read_notebook(os.path.join(folder, assignment, notebook))
        if not problem:
            found.append((assignment, _signature(nb)))
    return found


def _grade_ids(nb):
    ids = set()
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            ids.add(meta["grade_id"])
    return ids


def _rename_lone_notebook(folder, name, unknown, cells, count):
    """One notebook under another name (``00_warmup (1).ipynb``): grade it as the assignment's notebook."""
    if count != 1 or len(unknown) != 1:
        return None
    other = unknown[0]
    nb, problem = read_notebook(os.path.join(folder, other))
    if problem or not (_grade_ids(nb) & set(cells)):
        return None
    os.rename(os.path.join(folder, other), os.path.join(folder, name + ".ipynb"))
    unknown.remove(other)
    return f"the notebook was handed in as {other}; graded as {name}.ipynb"


def _repair(nb, cells):
    """Put the instructor's metadata back where a submission broke it, so nbgrader can read it."""
    changed = False
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        known = cells.get(gid) if isinstance(gid, str) else None
        if known is None:
            if not isinstance(meta, dict) or meta.get("grade") or meta.get("solution") or meta.get("locked") or gid:
                del cell.metadata["nbgrader"]
                changed = True
            continue
        want = {"grade": known["grade"], "solution": known["solution"],
                "locked": known["locked"] or (known["grade"] and not known["solution"])}
        if known["grade"]:
            want["points"] = known["points"]
        for key, value in want.items():
            if meta.get(key) != value:
                meta[key] = value
                changed = True
        meta.setdefault("schema_version", 3)
    try:
        MetadataValidator().validate_nb(nb)
    except Exception:  # noqa: BLE001 - strip what nbgrader still cannot read
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") not in cells:
                del cell.metadata["nbgrader"]
                changed = True
    return changed
