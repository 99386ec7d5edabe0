"""Planted students for assignments 11-14: one mistake each, or a correct answer written differently.

Shared by tests/test_mistakes_11..14.py on top of ``harness.PlantedMistakes``: a mistake costs exactly its item
(or, for a forward pass that a later item is defined to build on, that item too) and is named in the feedback;
a correct-but-different student gets every point.
"""
from harness import PlantedMistakes


class PlantedClass(PlantedMistakes):
    """``mistakes`` as in PlantedMistakes; ``alternatives`` maps a student to (cell, correct source written differently)."""

    def __init__(self, tmp_path_factory, assignment, mistakes, alternatives):
        everyone = dict(mistakes)
        everyone.update({student: (cell, source, None, []) for student, (cell, source) in alternatives.items()})
        super().__init__(tmp_path_factory, assignment, everyone)
        self.mistakes = mistakes

    def assert_full_marks(self, student):
        got = {gid: self.scores[student][gid] for gid in self.auto}
        assert got == self.auto, f"{student} wrote a correct answer differently and lost points: {got}"
        assert self.course.feedback_errors(self.assignment, student) == ""

    def assert_lost(self, student, items, words):
        """The student loses every item of ``items`` (a forward pass and what is defined on top of it), nothing else."""
        got = self.scores[student]
        assert all(got[item] == 0 for item in items), f"{student} kept points on one of {items}: {got}"
        others = {gid: got[gid] for gid in self.auto if gid not in items}
        assert others == {gid: self.auto[gid] for gid in others}, f"{student} lost points elsewhere: {others}"
        messages = self.course.feedback_errors(self.assignment, student)
        for word in words:
            assert word in messages, f"the feedback of {student} does not say {word!r}; its errors:\n{messages}"
