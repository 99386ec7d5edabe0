"""Student outputs made safe to show: no HTML, JavaScript or SVG from a student's cell in a page.

Feedback pages and the formgrader render the autograded notebook as HTML; a student's ``text/html`` or
``application/javascript`` output would run there with the instructor's session.  Rich outputs keep only
what cannot carry markup (plain text, PNG and JPEG images); the rest is shown as text.  A student's own
markdown (written answers, added cells) is shown with its HTML tags as text and without script links.
"""
import re

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

SAFE = ("text/plain", "image/png", "image/jpeg")


def safe_output(output):
    """``output`` with only safe representations; unsafe-only data becomes its text or a note."""
    data = output.get("data")
    if not isinstance(data, dict):
        return output
    kept = {mime: value for mime, value in data.items() if mime in SAFE}
    dropped = sorted(set(data) - set(kept))
    if dropped and "text/plain" not in kept:
        kept["text/plain"] = f"[{', '.join(dropped)} output, not shown by the grader]"
    output["data"] = kept
    output.get("metadata", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return output


def safe_markdown(source):
    """Markdown whose HTML shows as text: ``<`` escaped, ``javascript:``/``data:text`` links disarmed."""
    source = source.replace("&", "&amp;").replace("<", "&lt;")
    return SCRIPT_LINK.sub("blocked:", source)


SCRIPT_LINK = re.compile(r"(?i)\b(?:java|vb)script\s*:|data\s*:\s*text/html")


class SanitizeOutputs(NbGraderPreprocessor):
    """Keep only plain-text and bitmap outputs in every cell (after execution, before scoring)."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [safe_output(o) for o in cell.get("outputs", [])]
        elif cell.cell_type in ("markdown", "raw") and not utils.is_locked(cell):
            cell.source = safe_markdown(cell.source)
        return cell, resources
