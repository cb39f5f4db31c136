"""torch is the test oracle, never a runtime dependency: the library imports, trains and
saves with PyTorch made unimportable."""
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import importlib.abc, sys

    class NoTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError("torch is blocked in this test")

    sys.meta_path.insert(0, NoTorch())
    import tinygrad_lr as tl
    from tinygrad_lr import nn
    from tinygrad_lr.autograd import gradcheck, hessian
    from tinygrad_lr.viz import trace_backward

    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = tl.optim.Adam(model.parameters(), lr=0.01)
    x, y = tl.randn(8, 3), tl.tensor([0, 1] * 4)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward(retain_graph=True)
    assert "step 1" in str(trace_backward(loss))  # before the step changes the weights
    opt.step()
    assert gradcheck(lambda a: (a * a).sum(), [tl.randn(3, dtype=tl.float64,
                                                        requires_grad=True)])
    hessian(lambda a: (a ** 3).sum(), tl.randn(3, dtype=tl.float64))
    assert "torch" not in sys.modules
    print("ok")
""")


def test_the_library_runs_with_torch_unimportable():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
