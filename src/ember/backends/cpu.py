"""``ember.backends.cpu``: what the CPU backend offers."""


def get_cpu_capability() -> str:
    """The widest SIMD extension of this CPU that Ember's compiled kernels can use, named as
    PyTorch names its CPU capability ("AVX512", "AVX2" or "DEFAULT")."""
    from llvmlite import binding  # comes with Numba, which `import ember` does not load

    features = binding.get_host_cpu_features()
    if features.get("avx512f"):
        return "AVX512"
    if features.get("avx2"):
        return "AVX2"
    return "DEFAULT"
