"""`tl.backends.cuda`: CUDA's matmul switches. There is no CUDA; scripts may set
`tl.backends.cuda.matmul.allow_tf32 = True` and nothing changes."""


class _MatmulFlags:
    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False
