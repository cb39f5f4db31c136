"""Render the figures of the README's gallery: `python docs/make_gallery.py`.

Runs every notebook of the course (notebooks/, needs the dev extra: nbclient, ipykernel)
and saves the figures of the cells tagged "gallery" as docs/course/<notebook>-<n>.png,
then the demo's two figures as docs/course/demo-*.png. Nothing else is written.
"""
import base64
import io
import os
import sys
import tempfile

from PIL import Image  # matplotlib's own dependency

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "course")


def gallery_images(path, workdir):
    import nbclient  # the dev extra; make_chain_rule_figures.py uses save_small without it
    import nbformat

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH",
                                                                            "")]))
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": workdir}}).execute(env=env)
    for cell in nb.cells:
        if "gallery" in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if png:
                    yield base64.b64decode(png)


def save_small(png_bytes_or_path, target):
    """Save as a 256-colour PNG: a figure of lines and flat colours loses nothing visible
    and shrinks several times."""
    image = Image.open(png_bytes_or_path).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    print("wrote", os.path.relpath(target, ROOT), f"({os.path.getsize(target) // 1024} kB)")


def main():
    os.makedirs(OUT, exist_ok=True)
    sys.path.insert(0, ROOT)
    with tempfile.TemporaryDirectory() as workdir:
        for path in sorted(os.listdir(os.path.join(ROOT, "notebooks"))):
            if not path.endswith(".ipynb"):
                continue
            name = path[:-len(".ipynb")]
            for k, png in enumerate(gallery_images(os.path.join(ROOT, "notebooks", path),
                                                   workdir), 1):
                save_small(io.BytesIO(png), os.path.join(OUT, f"{name}-{k}.png"))
        from tinygrad_lr import demo

        demo.main(out=workdir, echo=lambda *a: None)
        for src, dst in (("gradient_descent.png", "demo-gradient-descent.png"),
                         ("loss_curves.png", "demo-digits.png")):
            save_small(os.path.join(workdir, src), os.path.join(OUT, dst))


if __name__ == "__main__":
    main()
