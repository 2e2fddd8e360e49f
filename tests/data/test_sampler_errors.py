"""The samplers' argument checks against torch.utils.data: exception type and message."""

import pytest
import torch.utils.data as tud

import ember.utils.data as eud

CASES = {
    "RandomSampler replacement not a bool": lambda d: d.RandomSampler(range(3), replacement=1),
    "RandomSampler num_samples zero": lambda d: d.RandomSampler(range(3), num_samples=0),
    "WeightedRandomSampler num_samples zero": lambda d: d.WeightedRandomSampler([1.0, 2.0], 0),
    "WeightedRandomSampler num_samples a bool": lambda d: d.WeightedRandomSampler([1.0], True),
    "WeightedRandomSampler num_samples a float": lambda d: d.WeightedRandomSampler([1.0], 2.0),
    "WeightedRandomSampler replacement not a bool": lambda d: d.WeightedRandomSampler(
        [1.0, 2.0], 2, replacement=1),
    "BatchSampler batch_size a bool": lambda d: d.BatchSampler(range(3), True, False),
    "BatchSampler batch_size negative": lambda d: d.BatchSampler(range(3), -1, False),
    "BatchSampler drop_last not a bool": lambda d: d.BatchSampler(range(3), 2, 1),
}


def error(data, case: str) -> tuple[type, str]:
    with pytest.raises(Exception) as info:
        CASES[case](data)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", list(CASES))
def test_sampler_argument_error_is_torchs(case):
    assert error(eud, case) == error(tud, case)
