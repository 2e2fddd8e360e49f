"""``ember.backends.cuda``: CUDA's switches, with PyTorch's defaults; Ember has no CUDA."""

from __future__ import annotations

__all__ = [
    "cudnn_sdp_enabled",
    "enable_cudnn_sdp",
    "enable_flash_sdp",
    "enable_math_sdp",
    "enable_mem_efficient_sdp",
    "flash_sdp_enabled",
    "is_built",
    "math_sdp_enabled",
    "matmul",
    "mem_efficient_sdp_enabled",
]


class _MatmulFlags:
    """``ember.backends.cuda.matmul``: the cuBLAS precision flags (settable, unused)."""

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self) -> str:
        return "<ember.backends.cuda.matmul flags>"


matmul = _MatmulFlags()

_sdp = {"flash": True, "math": True, "mem_efficient": True, "cudnn": True}


def is_built() -> bool:
    """False: this build of Ember has no CUDA support."""
    return False


def enable_flash_sdp(enabled: bool) -> None:
    """Records the flash-attention switch (Ember's attention is one CPU kernel)."""
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_math_sdp(enabled: bool) -> None:
    """Records the math-attention switch (Ember's attention is one CPU kernel)."""
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    """Records the memory-efficient-attention switch (Ember's attention is one CPU kernel)."""
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_cudnn_sdp(enabled: bool) -> None:
    """Records the cuDNN-attention switch (Ember's attention is one CPU kernel)."""
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]
