"""tinygrad_lr._malloc: freed training-step arrays stay with the process (glibc only)."""
import os
import platform
import subprocess
import sys
import textwrap

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# allocate and free 8 arrays of 1 MB, as one training step does, and count page faults
CHURN = textwrap.dedent("""
    import resource, numpy as np
    import tinygrad_lr._malloc as m
    print(m.tune())
    def step():
        arrays = [np.ones(1 << 18, dtype=np.float32) for _ in range(8)]
        del arrays
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        step()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
""")


def _faults_per_step(tuning):
    env = dict(os.environ, TINYGRAD_LR_MALLOC_TUNING=tuning)
    out = subprocess.run([sys.executable, "-c", CHURN], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0] == "True", float(out[1])


@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds exist only in glibc")
def test_tuned_malloc_reuses_freed_arrays_instead_of_page_faulting():
    tuned, faults_tuned = _faults_per_step("1")
    untuned, faults_untuned = _faults_per_step("0")
    assert tuned and not untuned  # the environment variable switches it off
    assert faults_tuned < 20  # 8 MB written per step: 2048 pages if each were fresh
    assert faults_untuned > 10 * max(faults_tuned, 1)  # and the test can tell the difference


# a step that frees more than glibc's own 64 MB trim limit (a convolution net's columns):
# 24 arrays of 4 MB
BIG_CHURN = CHURN.replace("np.ones(1 << 18, dtype=np.float32) for _ in range(8)",
                          "np.ones(1 << 20, dtype=np.float32) for _ in range(24)")


@pytest.mark.skipif(not GLIBC, reason="mallopt thresholds exist only in glibc")
def test_a_step_that_frees_more_than_64_mb_keeps_its_memory_too():
    env = dict(os.environ, TINYGRAD_LR_MALLOC_TUNING="1")
    out = subprocess.run([sys.executable, "-c", BIG_CHURN], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == "True"
    assert float(out[1]) < 100  # 96 MB written per step: 24,576 pages if each were fresh
