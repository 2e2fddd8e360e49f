"""cosine_similarity, pairwise_distance and their modules against torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.torch_compare import check_op, gradcheck

import ember
import ember.nn as enn
import ember.nn.functional as EF


@pytest.mark.parametrize("shapes, kw", [
    ([(3, 4), (3, 4)], {}),
    ([(3, 4), (1, 4)], {}),  # broadcast
    ([(2, 3, 4), (2, 3, 4)], {"dim": -1}),
    ([(5,), (5,)], {"dim": 0}),
    ([(3, 4), (3, 4)], {"dim": 0, "eps": 0.5}),
])
def test_cosine_similarity_matches_torch(shapes, kw):
    check_op(shapes, lambda a, b: TF.cosine_similarity(a, b, **kw),
             lambda a, b: EF.cosine_similarity(a, b, **kw))


def test_cosine_similarity_of_a_zero_vector_is_zero_with_torchs_gradient():
    x = np.zeros((2, 3))
    x[1] = [1.0, -2.0, 0.5]
    y = np.random.default_rng(1).standard_normal((2, 3))
    t1, t2 = (torch.tensor(a, requires_grad=True) for a in (x, y))
    e1, e2 = (ember.tensor(a, requires_grad=True) for a in (x, y))
    cot = np.array([0.7, -1.3])
    TF.cosine_similarity(t1, t2).backward(torch.tensor(cot))
    EF.cosine_similarity(e1, e2).backward(ember.tensor(cot))
    np.testing.assert_allclose(e1.grad.numpy(), t1.grad.numpy(), rtol=1e-7)
    np.testing.assert_allclose(e2.grad.numpy(), t2.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("shapes, kw", [
    ([(3, 4), (3, 4)], {}),
    ([(3, 4), (1, 4)], {"p": 1.0}),
    ([(2, 3, 4), (2, 3, 4)], {"p": 3.0, "keepdim": True}),
    ([(4,), (4,)], {}),
    ([(3, 4), (3, 4)], {"p": float("inf"), "eps": 0.0}),
])
def test_pairwise_distance_matches_torch(shapes, kw):
    check_op(shapes, lambda a, b: TF.pairwise_distance(a, b, **kw),
             lambda a, b: EF.pairwise_distance(a, b, **kw))


def test_gradcheck():
    assert gradcheck(lambda a, b: EF.cosine_similarity(a, b), [(3, 4), (3, 4)])
    assert gradcheck(lambda a, b: EF.pairwise_distance(a, b, 1.5), [(3, 4), (3, 4)])


def test_modules():
    check_op([(3, 4), (3, 4)], lambda a, b: torch.nn.CosineSimilarity(dim=0, eps=1e-6)(a, b),
             lambda a, b: enn.CosineSimilarity(dim=0, eps=1e-6)(a, b))
    check_op([(3, 4), (3, 4)], lambda a, b: torch.nn.PairwiseDistance(p=1.0, keepdim=True)(a, b),
             lambda a, b: enn.PairwiseDistance(p=1.0, keepdim=True)(a, b))
    assert repr(enn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
    assert repr(enn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())
