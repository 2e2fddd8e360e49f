"""The runtime modules PyTorch programs touch, compared with torch's CPU-only build."""

import warnings

import numpy as np
import pytest
import torch

import ember


def outcome(fn):
    """The value ``fn()`` returns, or the type and text of what it raises."""
    try:
        return ("ok", fn())
    except Exception as e:
        return ("error", type(e).__name__, str(e))


@pytest.mark.parametrize("path", [
    "backends.cudnn.enabled", "backends.cudnn.benchmark", "backends.cudnn.deterministic",
    "backends.cudnn.allow_tf32", "backends.cuda.matmul.allow_tf32",
    "backends.cuda.matmul.allow_fp16_reduced_precision_reduction",
    "backends.cuda.matmul.allow_bf16_reduced_precision_reduction", "backends.mkldnn.enabled",
])
def test_backend_flags_have_torchs_defaults_and_can_be_set(path):
    def resolve(lib):
        *parents, name = path.split(".")
        obj = lib
        for p in parents:
            obj = getattr(obj, p)
        return obj, name

    (e_obj, name), (t_obj, _) = resolve(ember), resolve(torch)
    assert getattr(e_obj, name) == getattr(t_obj, name)
    old = getattr(e_obj, name)
    setattr(e_obj, name, not old)
    try:
        assert getattr(e_obj, name) is (not old)
    finally:
        setattr(e_obj, name, old)


@pytest.mark.parametrize("call", [
    "backends.cudnn.is_available()", "backends.cudnn.version()", "backends.mps.is_available()",
    "backends.mps.is_built()", "backends.cuda.is_built()", "backends.cuda.flash_sdp_enabled()",
    "backends.cuda.math_sdp_enabled()", "backends.cuda.mem_efficient_sdp_enabled()",
    "cuda.is_available()", "cuda.device_count()", "cuda.is_initialized()",
    "cuda.is_bf16_supported()", "cuda.synchronize()", "cuda.current_device()",
    "cuda.get_device_name()", "cuda.get_device_capability()", "cuda.init()",
    "cuda.empty_cache()", "cuda.memory_allocated()", "cuda.max_memory_allocated()",
    "cuda.manual_seed(0)", "cuda.manual_seed_all(0)", "accelerator.is_available()",
    "accelerator.device_count()", "accelerator.current_accelerator()",
    "accelerator.current_device_index()", "accelerator.synchronize()",
    "accelerator.set_device_index(0)", "ones(2).cuda()", "ones(2, device='cuda')",
    "ones(2).to('cuda')", "ones(2).pin_memory()", "ones(2).is_pinned()",
    "jit.is_scripting()", "jit.is_tracing()", "compiler.is_compiling()",
    "backends.cpu.get_cpu_capability()",
])
def test_cpu_build_answers(call):
    e = outcome(lambda: eval("lib." + call, {"lib": ember}))
    t = outcome(lambda: eval("lib." + call, {"lib": torch}))
    assert e[0] == t[0] and e[1:] == t[1:], (e, t)


def test_openmp_says_what_ember_has():
    from numba.np.ufunc import parallel

    assert ember.backends.openmp.is_available() == ("omp" in _numba_layers(parallel))


def _numba_layers(parallel):
    layers = []
    for name in ("tbb", "omp", "workqueue"):
        try:
            __import__(f"numba.np.ufunc.{name}pool")
            layers.append(name)
        except ImportError:
            pass
    return layers


def test_sdp_switches_remember_their_setting():
    ember.backends.cuda.enable_flash_sdp(False)
    try:
        assert ember.backends.cuda.flash_sdp_enabled() is False
    finally:
        ember.backends.cuda.enable_flash_sdp(True)


# -- GradScaler --------------------------------------------------------------------------------
def _train_with_scaler(lib, losses_scale, init_scale=8.0, growth_interval=2):
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 2).double()
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]],
                                      dtype=lib.float64))
        model.bias.copy_(lib.tensor([0.01, -0.02], dtype=lib.float64))
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=growth_interval)
    x = lib.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]], dtype=lib.float64)
    trace = []
    for factor in losses_scale:
        opt.zero_grad()
        loss = model(x).pow(2).sum() * factor
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        stepped = scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), stepped, scaler.state_dict()["_growth_tracker"]))
    return trace, model.weight.detach().numpy().copy(), model.bias.detach().numpy().copy()


def test_cpu_grad_scaler_matches_torch_with_skipped_steps_and_growth():
    factors = [1.0, 1.0, float("inf"), 1.0, 1.0, 1.0, float("nan"), 1.0]
    e_trace, e_w, e_b = _train_with_scaler(ember, factors)
    t_trace, t_w, t_b = _train_with_scaler(torch, factors)
    assert e_trace == t_trace
    np.testing.assert_allclose(e_w, t_w, rtol=1e-12)
    np.testing.assert_allclose(e_b, t_b, rtol=1e-12)


def test_cpu_grad_scaler_state_dict_round_trip_and_values():
    for lib in (ember, torch):
        assert lib.amp.GradScaler("cpu").state_dict() == torch.amp.GradScaler("cpu").state_dict()
    scaler = ember.amp.GradScaler("cpu", init_scale=4.0)
    other = ember.amp.GradScaler("cpu")
    other.load_state_dict(scaler.state_dict())
    assert other.get_scale() == 4.0
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        other.load_state_dict({})


def _misuse(lib, steps):
    model = lib.nn.Linear(2, 1)
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    scaler = lib.amp.GradScaler("cpu")
    scaler.scale(model(lib.ones(1, 2)).sum()).backward()
    for s in steps:
        if s == "unscale":
            scaler.unscale_(opt)
        elif s == "step":
            scaler.step(opt)
        elif s == "closure":
            scaler.step(opt, closure=lambda: None)
        elif s == "update":
            scaler.update()


@pytest.mark.parametrize("steps", [
    ["unscale", "unscale"], ["step", "unscale"], ["step", "step"], ["closure"], ["update"],
    ["unscale", "step", "update", "update"],
])
def test_grad_scaler_misuse_raises_as_torch(steps):
    e, t = outcome(lambda: _misuse(ember, steps)), outcome(lambda: _misuse(torch, steps))
    assert e[0] == t[0] and e[1:] == t[1:], (e, t)


def test_cuda_grad_scaler_is_disabled_with_torchs_warning():
    def make(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scaler = lib.amp.GradScaler("cuda")
        return scaler, [str(w.message) for w in caught]

    (e, e_warn), (t, t_warn) = make(ember), make(torch)
    assert e_warn == t_warn
    assert e.is_enabled() is t.is_enabled() is False
    assert e.get_scale() == t.get_scale() == 1.0 and e.state_dict() == t.state_dict() == {}
    loss = ember.ones(()) * 3
    assert e.scale(loss) is loss


def test_deprecated_cuda_amp_scaler_warns_as_torch():
    def warned(lib):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.cuda.amp.GradScaler()
        return [(w.category.__name__, str(w.message)) for w in caught]

    assert warned(ember) == warned(torch)


# -- compile, jit, settings ------------------------------------------------------------------
def test_compile_wraps_a_module_as_torch_and_computes_the_same():
    e_model, t_model = ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    e_c, t_c = ember.compile(e_model), torch.compile(t_model)
    assert list(e_c.state_dict()) == list(t_c.state_dict())
    assert e_c._orig_mod is e_model and e_c.weight is e_model.weight
    x = ember.randn(4, 3)
    assert np.array_equal(e_c(x).detach().numpy(), e_model(x).detach().numpy())


def test_compile_as_decorator_and_on_functions():
    @ember.compile
    def f(x):
        return x * 2 + 1

    @ember.compile(mode="max-autotune", fullgraph=True)
    def g(x):
        return x - 1

    x = ember.tensor([1.0, 2.0])
    assert f(x).tolist() == [3.0, 5.0] and g(x).tolist() == [0.0, 1.0]
    assert f.__name__ == "f" and "not compile" in ember.compile.__doc__


def test_jit_script_and_trace_say_ember_has_no_torchscript():
    model = ember.nn.Linear(2, 2)
    for call in (lambda: ember.jit.script(model), lambda: ember.jit.trace(model, ember.ones(1, 2))):
        with pytest.raises(RuntimeError, match="Ember has no TorchScript"):
            call()


def test_jit_decorators_leave_functions_as_eager_torch_does():
    def f(x):
        return x

    assert ember.jit.ignore(f) is f and ember.jit.unused(f) is f and ember.jit.export(f) is f
    assert ember.jit.ignore(drop=True)(f) is f
    assert ember.jit.annotate(list, [1]) == [1]


def test_float32_matmul_precision_as_torch():
    for lib in (ember, torch):
        assert lib.get_float32_matmul_precision() == "highest"
    try:
        ember.set_float32_matmul_precision("high")
        assert ember.get_float32_matmul_precision() == "high"

        def bad(lib):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lib.set_float32_matmul_precision("bad")
            return str(caught[0].message).split(";")[0]

        assert bad(ember) == bad(torch) == "bad is not one of 'highest', 'high', or 'medium'"
        assert ember.get_float32_matmul_precision() == "high"
    finally:
        ember.set_float32_matmul_precision("highest")
        torch.set_float32_matmul_precision("highest")


def test_deterministic_algorithms_flags_as_torch():
    try:
        for lib in (ember, torch):
            assert not lib.are_deterministic_algorithms_enabled()
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled()
            assert lib.is_deterministic_algorithms_warn_only_enabled()
        e = outcome(lambda: ember.use_deterministic_algorithms("x"))
        t = outcome(lambda: torch.use_deterministic_algorithms("x"))
        assert e == t
    finally:
        for lib in (ember, torch):
            lib.use_deterministic_algorithms(False)
