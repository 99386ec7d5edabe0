"""What a grading worker is asked to do, and what it answers: plain dataclasses that pickle (pipes, Dask).

    GradeJob  -> GradeResult     one submission, graded in a scratch course (autograder.worker)
    FeedbackJob -> TaskResult    nbgrader feedback for one student
    FinalizeJob -> TaskResult    grades.csv and the report, once every score is in
"""
import enum
from dataclasses import asdict, dataclass, field
from typing import Optional


class Status(str, enum.Enum):
    GRADED = "graded"              # nbgrader graded it: scores, autograded notebook, feedback to write
    NOT_GRADABLE = "not gradable"  # nothing to grade (missing, unreadable, another assignment): a 0 row
    ERROR = "error"                # the grader failed (not the student): retried on the next run
    OK = "ok"                      # a feedback or finalize task that worked


@dataclass
class GradeJob:
    student: str
    assignment: str
    submission: str                # the folder handed in (nbgrader's submitted/STUDENT/ASSIGNMENT layout)
    scratch: str                   # an empty folder of the worker's own
    template: str                  # a gradebook holding only the assignment's definition
    course_id: str
    source_path: str               # solutions/ASSIGNMENT: data files and the master notebook (grader side only)
    source_directory: str
    config: object                 # the course's traitlets Config
    limits: dict
    context: dict = field(default_factory=dict)   # the student's gradebook context (due date, extension)
    forbidden: list = field(default_factory=list)
    read_only: list = field(default_factory=list)
    deadline: float = 0            # seconds the coordinator waits before it replaces the worker


@dataclass
class FeedbackJob:
    student: str
    assignment: str
    config: object
    deadline: float = 300


@dataclass
class FinalizeJob:
    root: str
    assignment: str
    export: bool = True
    report: bool = True
    student: Optional[str] = None
    deadline: float = 300


@dataclass
class GradeResult:
    student: str
    status: Status = Status.GRADED
    notes: list = field(default_factory=list)            # for the instructor and the student
    items: dict = field(default_factory=dict)            # grade_id -> report.item_outcomes entry
    tampering: dict = field(default_factory=lambda: {"items": {}, "general": []})
    review: list = field(default_factory=list)           # solution code to look at (never changes a score)
    sandbox: dict = field(default_factory=dict)          # what the sandbox enforced, in words
    seconds: float = 0.0
    checker_seconds: float = 0.0                         # of which test cells (checker and the calls it made)
    scores: Optional[list] = None                        # gradebook rows of the scratch course
    autograded: Optional[str] = None                     # the autograded folder in the scratch course
    autograded_files: Optional[dict] = None              # relative path -> bytes (when sent across machines)
    scratch: Optional[str] = None
    log: str = ""
    key: str = ""
    worker: str = ""                                     # where it ran (a Dask worker's address)

    def to_json(self):
        data = asdict(self)
        data["status"] = self.status.value
        for transient in ("autograded", "autograded_files", "scores", "scratch"):
            data.pop(transient, None)
        if self.status != Status.ERROR:
            data.pop("log", None)
        return data

    @classmethod
    def from_json(cls, data):
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["status"] = Status(known.get("status", "graded"))
        return cls(**known)


@dataclass
class TaskResult:
    kind: str                      # "feedback" or "finalize"
    status: Status = Status.OK
    student: Optional[str] = None
    notes: list = field(default_factory=list)
    grades_csv: Optional[str] = None
    report: Optional[str] = None


def failed(job, words, log=""):
    """The result of a job whose worker failed (it died, got stuck or raised)."""
    if isinstance(job, GradeJob):
        return GradeResult(student=job.student, status=Status.ERROR, notes=[words], log=log)
    kind = "feedback" if isinstance(job, FeedbackJob) else "finalize"
    return TaskResult(kind=kind, status=Status.ERROR, student=getattr(job, "student", None), notes=[words])
