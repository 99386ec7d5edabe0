"""A student works on the warm-up in JupyterLab, in a real browser: feedback in the cell output, then Validate.

The student opens ``exercises/00_warmup/00_warmup.ipynb`` from the file browser, answers the first item
correctly, writes the free-text answer, and writes the gradient of f(x) = ½‖x‖² + Σ sin xᵢ with a wrong sign
on the cosine (x − cos x).
(The first must be answered too: Run All stops at the first failing cell, and the warm-up's earlier test
would stop it at a NotImplementedError.)
"""
import json
import shutil

from harness import REPO, solution_source

pytest_plugins = ["browser"]

WARMUP = "exercises/00_warmup/00_warmup.ipynb"
WRONG = "def grad_f(x):\n    return x - np.cos(x)\n"
RIGHT = "def grad_f(x):\n    return x + np.cos(x)\n"
LABEL = "grad_f(x)"                 # the visible check names the function; mistake labels are hidden tests''' job
WRITTEN = ("With h = 1e-12 the two values of sin agree in almost every digit, so rounding errors of about "
           "1e-16 dominate their difference and dividing by 2h magnifies them; a step near 1e-5 balances "
           "rounding against the h² truncation error.")
TEST_CELL = "grad_f_readonly, f"    # the visible test cell of grad_f


def correct_answers():
    """The instructor's solutions of the warm-up's other items, as a student who got them right types them."""
    nb = json.loads((REPO / "solutions" / "00_warmup" / "00_warmup.ipynb").read_text(encoding="utf-8"))
    return {c["metadata"]["nbgrader"]["grade_id"]: solution_source("".join(c["source"])) for c in nb["cells"]
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")}


def open_warmup(jlab):
    """A fresh released warm-up, opened from the file browser, with items 1 and 2 answered correctly."""
    shutil.copy(REPO / WARMUP, jlab.lab.root / WARMUP)
    jlab.open_lab()
    jlab.open_in_file_browser(WARMUP)
    answers = correct_answers()
    jlab.set_source("def dy_dx(", answers["dy_dx"])
    jlab.set_markdown("YOUR ANSWER HERE", WRITTEN)


def test_run_all_shows_the_named_mistake_then_the_pass(jlab):
    open_warmup(jlab)
    jlab.set_source("def grad_f(x):", WRONG)
    jlab.run_all()
    shown = jlab.output_text(TEST_CELL)
    assert "GradientCheckError" in shown and LABEL in shown, shown
    errors = jlab.error_outputs()
    assert len(errors) == 1 and LABEL in errors[0], "only the grad_f test fails, naming the mistake"
    jlab.code_cell(TEST_CELL).scroll_into_view_if_needed()
    jlab.shot("student-feedback-wrong-gradient")

    jlab.set_source("def grad_f(x):", RIGHT)
    jlab.run_all()
    shown = jlab.output_text(TEST_CELL)
    assert "✓ gradient check passed" in shown and LABEL not in shown, shown
    assert jlab.error_outputs() == []
    assert all(p.strip() not in ("[ ]:", "") for p in jlab.prompts()), jlab.prompts()   # every cell ran
    jlab.code_cell(TEST_CELL).scroll_into_view_if_needed()
    jlab.shot("student-feedback-fixed")


def test_validate_button_reports_the_failing_item_then_success(jlab):
    open_warmup(jlab)
    jlab.set_source("def grad_f(x):", WRONG)
    jlab.notebook.locator(".validate-button").click()
    box = jlab.dialog("Validation Results")
    message = box.locator("#validation-message")
    message.wait_for()
    text = message.text_content()
    assert "validation-failed" in message.get_attribute("class"), text
    assert text.count("The following cell failed:") == 1, text     # only test_grad_f
    assert "test_grad_f (3 points) — failing" in text and LABEL in text, text   # a summary, not the test source
    box.locator(".jp-Dialog-body").evaluate("body => body.scrollTop = body.scrollHeight")  # the diagnosis
    jlab.shot("validate-failed", box)
    jlab.close_dialog(box)

    jlab.set_source("def grad_f(x):", RIGHT)
    jlab.notebook.locator(".validate-button").click()
    box = jlab.dialog("Validation Results")
    message = box.locator("#validation-message")
    message.wait_for()
    assert "validation-success" in message.get_attribute("class"), message.text_content()
    assert "Success! Your notebook passes all the tests." in message.text_content()
    jlab.shot("validate-success", box)
    jlab.close_dialog(box)
    # Validate saved the notebook: the file on disk holds the fixed answer.
    saved = json.loads((jlab.lab.root / WARMUP).read_text(encoding="utf-8"))
    assert any("return x + np.cos(x)" in "".join(c["source"]) for c in saved["cells"])
