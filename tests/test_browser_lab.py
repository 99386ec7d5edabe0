"""JupyterLab as `make lab` starts it, in a real browser: nbgrader's extensions, a lecture's plots, formgrader."""
import json
import re
from pathlib import Path

pytest_plugins = ["browser"]

NBGRADER_PLUGINS = [            # what each of nbgrader's JupyterLab plugins logs when it is activated
    "JupyterLab extension assignment-list is activated!",
    "JupyterLab extension course-list is activated!",
    "JupyterLab extension formgrader is activated!",
    'Extension "create_assignment" activated.',
    "JupyterLab extension validate-assignment is activated!",
]
NBGRADER_SERVER_EXTENSIONS = ["assignment_list", "course_list", "formgrader", "validate_assignment"]
FIGURE_CALL = re.compile(r"\bplt\.|\bfigure\(")


def test_lab_loads_with_nbgrader_extensions(jlab):
    # The address `make lab` opens for a student: the course's first lecture, with the server's token.
    opened = jlab.lab.opened_url()
    assert opened and re.search(r"/lab/tree/course/00_how_this_course_works\.ipynb\?token=", opened), opened
    jlab.open_lab(opened)
    jlab.wait_notebook_ready("00_how_this_course_works.ipynb")

    config = json.loads(jlab.page.locator("#jupyter-config-data").text_content())
    assert "@jupyter/nbgrader" in [ext["name"] for ext in config["federated_extensions"]]
    assert not any("nbgrader" in name for name in config.get("disabledExtensions", []))
    jlab.page.wait_for_function(
        "(n) => document.querySelectorAll('.jp-NotebookPanel .validate-button').length >= n", arg=1)
    debug = [text for kind, text in jlab.console if kind == "debug"]
    assert [msg for msg in NBGRADER_PLUGINS if msg not in debug] == [], debug

    items = jlab.menu_items("Nbgrader")
    for item in ("Assignment List", "Course List", "Formgrader", "Create assignment"):
        assert item in items, items
    assert jlab.notebook.locator(".validate-button", has_text="Validate").count() == 1
    assert jlab.page.locator(".lm-TabBar-tab[title='Nbgrader Create Assignment']").count() == 1

    errors = [f"{kind}: {text}" for kind, text in jlab.console if kind in ("error", "pageerror")]
    assert errors == [], errors
    log = jlab.lab.log_text()
    for name in NBGRADER_SERVER_EXTENSIONS:
        assert f"nbgrader.server_extensions.{name} | extension was successfully loaded" in log
    assert "Traceback" not in log and not re.search(r"^\[E ", log, re.M), log[-3000:]
    jlab.shot("lab-course-intro")


def lecture_with_most_figures(root):
    counts = {}
    for path in sorted((root / "course").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        counts[path] = sum(len(FIGURE_CALL.findall("".join(c["source"])))
                           for c in nb["cells"] if c["cell_type"] == "code")
    assert counts, "no lecture notebooks in course/"
    best = max(counts, key=counts.get)         # the first in name order among equals
    assert counts[best] > 0, f"no lecture in course/ draws a figure: {counts}"
    return best


def test_lecture_with_most_figures_renders_its_plots(jlab):
    lecture = lecture_with_most_figures(jlab.lab.root)
    jlab.open_lab()
    jlab.open_in_file_browser(lecture.relative_to(jlab.lab.root).as_posix())
    jlab.run_all()

    assert jlab.error_outputs() == [], f"{lecture.name} raised:\n" + "\n".join(jlab.error_outputs())
    prompts = jlab.prompts()
    assert all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts), prompts   # every code cell ran
    images = jlab.notebook.locator(".jp-OutputArea-output.jp-RenderedImage img")
    assert images.count() >= 1, f"{lecture.name}: no plot in the outputs after Run All"
    sizes = images.evaluate_all("imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert all(done and w > 100 and h > 100 for done, w, h in sizes), sizes   # decoded pictures, not icons
    images.first.scroll_into_view_if_needed()
    jlab.shot("lecture-plot")


def test_formgrader_lists_the_course_assignments(jlab):
    assignments = sorted(p.name for p in (jlab.lab.root / "solutions").iterdir() if p.is_dir())
    assert assignments, "no assignments in solutions/"
    jlab.open_lab()
    jlab.menu("Nbgrader", "Formgrader")
    frame = jlab.page.frame_locator("iframe[src*='formgrader']")
    frame.locator("h1", has_text="Manage Assignments").wait_for()
    names = frame.locator("#main-table tr td.name")
    jlab.page.wait_for_function(
        """(n) => { const f = document.querySelector("iframe[src*='formgrader']");
                    const d = f && f.contentDocument;
                    return d && d.querySelectorAll('#main-table tr td.name').length === n; }""",
        arg=len(assignments))
    assert sorted(t.strip() for t in names.all_text_contents()) == assignments
    # The instructor's exchange (set in ~/.jupyter/nbgrader_config.py) is found: release and collect work.
    assert frame.locator("text=does not exist and could not be created").count() == 0
    jlab.shot("formgrader-assignments")


def test_lecture_choice_counts_figure_calls(tmp_path):
    """The lecture picked for the plot test is the one with the most plt./figure calls."""
    def lecture(name, *cells):
        nb = {"cells": [{"cell_type": "code", "source": src, "metadata": {}} for src in cells]}
        (tmp_path / "course" / name).write_text(json.dumps(nb))

    (tmp_path / "course").mkdir()
    lecture("01_a.ipynb", "import matplotlib.pyplot as plt\nplt.plot([1, 2])")
    lecture("02_b.ipynb", "fig, ax = plt.subplots()\nax.plot([1])", "plt.figure()\nplt.title('x')")
    lecture("03_c.ipynb", "x = 1")
    assert lecture_with_most_figures(tmp_path) == Path(tmp_path / "course" / "02_b.ipynb")


def test_a_first_start_asks_no_news_question(jlab):
    # The course's lab/overrides.json, passed by `make lab`, answers JupyterLab's news and update questions
    # (this server's home has no user settings: it is a first start).
    notification = jlab.lab.api("lab/api/settings/@jupyterlab/apputils-extension:notification")
    defaults = {k: v.get("default") for k, v in notification["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False   # the overrides
    assert "fetchNews" not in notification["settings"]            # not answered by the user
    jlab.open_lab(jlab.lab.opened_url())
    jlab.wait_notebook_ready("00_how_this_course_works.ipynb")
    assert jlab.page.get_by_text("official Jupyter news").count() == 0
