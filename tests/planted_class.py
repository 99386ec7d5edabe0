"""PlantedMistakes plus correct students written differently, graded in the same single autograde call."""
from harness import Course, PlantedMistakes


class PlantedClass(PlantedMistakes):
    """``different`` maps a student to {solution cell: correct source written another way}; each gets full marks."""

    def __init__(self, tmp_path_factory, assignment, mistakes, different):
        self.assignment, self.mistakes, self.different = assignment, mistakes, different
        self.course = Course.copy(tmp_path_factory.mktemp(assignment), [assignment])
        self.course.submit(assignment, "correct", self.course.student_notebook(assignment))
        for student, (cell, source, _, _) in mistakes.items():
            self.course.submit(assignment, student, self.course.student_notebook(assignment, {cell: source}))
        for student, answers in different.items():
            self.course.submit(assignment, student, self.course.student_notebook(assignment, answers))
        self.course.autograde(assignment)
        maxes = self.course.max_scores(assignment)
        self.auto = {gid: points for gid, points in maxes.items() if gid.startswith("test_")}
        self.scores = self.course.scores(assignment)

    def assert_different_student_gets_every_point(self, student):
        got = {gid: self.scores[student][gid] for gid in self.auto}
        assert got == self.auto, f"{student} lost points: {got}\n{self.course.feedback_errors(self.assignment, student)}"
