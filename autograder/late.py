"""The course's late-submission penalty, as an nbgrader plugin.

nbgrader itself knows two penalties: none, or zero points for anything late. The course takes a fraction of
the points per started day instead::

    c.AssignLatePenalties.plugin_class = "autograder.late.DailyLatePenalty"
    c.DailyLatePenalty.fraction_per_day = 0.10      # 10 % of the notebook's score per started day late

nbgrader calls the plugin once per submitted notebook during ``nbgrader autograde`` with the notebook's
score at that moment (its auto-graded points; a written answer graded later in formgrader does not change the
penalty: re-run autograde to recompute it) and how many seconds after the due date it was submitted.
"""
import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

DAY = 24 * 60 * 60


class DailyLatePenalty(LateSubmissionPlugin):
    """Deduct ``fraction_per_day`` of the notebook's score for every started day late, at most the score."""

    fraction_per_day = Float(
        0.10, help="Fraction of the notebook's score deducted for each started day (24 h) after the due date."
    ).tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if not total_seconds_late or total_seconds_late <= 0 or not score:
            return None
        days = math.ceil(total_seconds_late / DAY)
        penalty = min(score, score * self.fraction_per_day * days)
        self.log.warning("%s is %d started day(s) late: penalty %.4g of %.4g points",
                         student_id, days, penalty, score)
        return penalty
