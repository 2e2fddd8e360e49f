"""``nn.DataParallel`` against torch's CPU-only behaviour."""

import numpy as np
import pytest
import torch

import ember


def test_data_parallel_runs_the_module_as_torch_does_without_devices():
    t_mod = torch.nn.Linear(2, 3)
    e_mod = ember.nn.Linear(2, 3)
    e_mod.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_mod.state_dict().items()})
    t_dp = torch.nn.DataParallel(t_mod, device_ids=[0], output_device=0, dim=1)
    e_dp = ember.nn.DataParallel(e_mod, device_ids=[0], output_device=0, dim=1)
    assert e_dp.device_ids == t_dp.device_ids == []
    assert list(e_dp.state_dict()) == list(t_dp.state_dict()) == ["module.weight", "module.bias"]
    assert e_dp.module is e_mod
    assert repr(e_dp).replace("ember", "torch") == repr(t_dp)
    x = np.arange(4.0, dtype=np.float32).reshape(2, 2)
    np.testing.assert_allclose(e_dp(ember.tensor(x)).detach().numpy(),
                               t_dp(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(e_dp(input=ember.tensor(x)).detach().numpy(),
                               t_dp(input=torch.tensor(x)).detach().numpy(), rtol=1e-6)
    assert ember.nn.parallel.DataParallel is ember.nn.DataParallel


def test_functional_data_parallel_raises_as_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="device type could not be determined"):
            lib.nn.parallel.data_parallel(lib.nn.Linear(2, 3), lib.ones(1, 2))
