"""No answer of a graded item is in reach of a student: not in a released notebook, not in the ``matcalc`` package.

The instructor-side references (``tests/answers``) are complete answers of graded items, and so are the solution
regions of the master notebooks.  Their distinctive code lines (normalised: no comments, no spaces) must not appear in
any notebook under ``exercises/`` (given code, visible tests, prompts) nor in any file of ``matcalc/``.
"""
import ast
import io
import re
import tokenize
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
ANSWERS = sorted(p for p in (REPO / "tests" / "answers").glob("*.py") if p.name != "__init__.py")
MINE = ("02_", "03_", "05_", "06_", "07_", "08_")  # assignments whose solution regions this file also guards
MIN_CHARS = 24  # shorter lines (`return x`, `x = x.copy()`) are not distinctive
GENERIC = r"[\"'].*[\"'],?|\)+,?|np\.(as)?array\(\w+(,dtype=float)?\)|np\.(zeros|ones)(_like)?\(\w+(,dtype=float)?\)"
MIN_SOLUTION_CHARS = 22  # a shorter solution expression (`np.linalg.eigvalsh(A)`) may be a test's helper too


def normalise(line):
    """A code line without its comment and without spaces: what copying it would keep."""
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(line).readline)
                  if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                                    tokenize.DEDENT, tokenize.ENDMARKER)]
        text = "".join(t.string for t in tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        text = line.split("#")[0]
    return re.sub(r"\s+", "", text)


def expression(key):
    """The computed part of a normalised line: without `return` or `name =`, with 2.0 written as 2."""
    key = re.sub(r"^(return|[A-Za-z_][A-Za-z_0-9]*(,[A-Za-z_][A-Za-z_0-9]*)*=(?!=))", "", key)
    return re.sub(r"(?<![\w.])(\d+)\.0(?!\d)", r"\1", key)


def distinctive(lines, min_chars=MIN_CHARS):
    out = set()
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", '"""', "'''", "def ", "import ", "from ", "raise NotImplementedError",
                                              "with np.errstate")):  # idioms, not answers
            continue
        key = expression(normalise(stripped))
        if len(key) >= min_chars and not re.fullmatch(GENERIC, key):
            out.add(key)
    return out


def function_bodies(path):
    """Distinctive lines of every function body in an answers module (docstrings dropped)."""
    source = path.read_text()
    lines = source.splitlines()
    body = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            statements = node.body[1:] if ast.get_docstring(node) else node.body
            for stmt in statements:
                body.extend(lines[stmt.lineno - 1:stmt.end_lineno])
    return distinctive(body)


def solution_lines(notebook):
    out = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside:
                out.append(line)
    return distinctive(out, MIN_SOLUTION_CHARS)


def released_texts():
    """(name, normalised lines) of every released notebook cell and every matcalc source file."""
    for notebook in sorted((REPO / "exercises").glob("*/*.ipynb")):
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            yield f"{notebook.relative_to(REPO)} cell {index + 1}", keys(cell.source)
    for path in sorted((REPO / "matcalc").rglob("*.py")):
        yield str(path.relative_to(REPO)), keys(path.read_text())


def keys(source):
    return {expression(normalise(line)) for line in source.splitlines()}


def leaks(secrets, texts):
    return [(where, line) for where, lines in texts for line in sorted(secrets & lines)]


def test_the_answers_are_not_importable_from_matcalc():
    import matcalc
    assert not (Path(matcalc.__file__).parent / "reference").exists()
    with pytest.raises(ImportError):
        __import__("matcalc.reference")


@pytest.mark.parametrize("answers", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_no_reference_answer_is_released(answers):
    secrets = function_bodies(answers)
    assert len(secrets) >= 10, "the scan found too few distinctive lines to mean anything"
    found = leaks(secrets, released_texts())
    assert not found, "graded reference code is in reach of students:\n" + "\n".join(f"  {w}: {l}" for w, l in found)


@pytest.mark.parametrize("master", [p for p in sorted((REPO / "solutions").glob("*/*.ipynb")) if p.name.startswith(MINE)],
                         ids=lambda p: p.stem)
def test_no_solution_line_is_released(master):
    secrets = solution_lines(master)
    found = leaks(secrets, released_texts())
    assert not found, "a solution line is in reach of students:\n" + "\n".join(f"  {w}: {l}" for w, l in found)


def test_the_scan_finds_a_planted_leak(tmp_path):
    """A released notebook whose visible test holds the reference backward pass is caught."""
    secrets = function_bodies(REPO / "tests" / "answers" / "neural.py")
    source = (REPO / "tests" / "answers" / "neural.py").read_text()
    body = source[source.index("def backward"):]
    planted = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# visible test\n" + body)])
    texts = [("planted cell", keys(planted.cells[0].source))]
    assert any("dZ@cache" in line for _, line in leaks(secrets, texts))
    reindented = "\n".join("        " + line.replace(" @ ", "@") for line in body.splitlines())
    assert leaks(secrets, [("reindented", keys(reindented))])


def test_the_scan_finds_a_solution_restated_in_a_visible_test():
    """`want = 2 / np.linalg.eigvalsh(A)[-1]` in a test is the solution `return 2.0 / np.linalg.eigvalsh(A)[-1]`."""
    secrets = distinctive(["    return 2.0 / np.linalg.eigvalsh(A)[-1]"], MIN_SOLUTION_CHARS)
    assert leaks(secrets, [("visible test", keys("    want = 2 / np.linalg.eigvalsh(A)[-1]\n"))])
    assert not leaks(secrets, [("visible test", keys("    lam = np.linalg.eigvalsh(A)\n"))])
