"""The course: every notebook in notebooks/ is stored clean and runs top to bottom.

Each notebook runs in a fresh Jupyter kernel (nbclient and ipykernel come with the `dev`
extra) from a temporary folder, with at most NOTEBOOK_SECONDS for the whole notebook, and
its last code cell asserts the lesson's claim, so a notebook whose point stopped being true
fails here.
"""
import glob
import os
import re
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))
NOTEBOOK_SECONDS = 90  # per notebook, all cells together, on a 2-core machine

nbformat = pytest.importorskip("nbformat", reason="the notebook tests need the dev extra "
                               "(pip install -e '.[dev]' installs nbformat and nbclient)")


def _ids(paths):
    return [os.path.basename(p) for p in paths]


def test_the_course_has_its_lessons():
    names = _ids(NOTEBOOKS)
    assert len(names) >= 9 and names == sorted(names)
    assert all(n[:2].isdigit() and n[2] == "_" for n in names)  # numbered lessons


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_stored_without_outputs_and_with_cell_ids(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    ids = [c.get("id") for c in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert nb.cells[0].cell_type == "markdown" and "?" in nb.cells[0].source  # a question
    assert "assert" in code[-1].source  # the lesson's claim, checked
    assert any("Exercise" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_and_its_claim_holds(path, tmp_path):
    nbclient = pytest.importorskip("nbclient", reason="the dev extra installs nbclient")
    pytest.importorskip("ipykernel", reason="the dev extra installs ipykernel")
    pytest.importorskip("matplotlib", reason="the lessons draw figures (plot extra)")
    nb = nbformat.read(path, as_version=4)
    deadline = time.monotonic() + NOTEBOOK_SECONDS

    def time_left(cell):  # the whole notebook shares one budget
        return max(1, int(deadline - time.monotonic()))

    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")]))
    client = nbclient.NotebookClient(nb, timeout=NOTEBOOK_SECONDS, timeout_func=time_left,
                                     kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{os.path.basename(path)}: a cell failed:\n{e}")
    # what a reader sees: no memory addresses (a stray `<... at 0x7f...>` repr)
    for k, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r" at 0x[0-9a-fA-F]{6,}", text), \
                f"{os.path.basename(path)} cell {k} prints a repr with an address: {text!r}"
