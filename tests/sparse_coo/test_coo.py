"""sparse_coo_tensor, the SparseTensor's metadata, coalesce, to_dense and to_sparse against
torch: printed forms, stored indices and values, flags, errors and gradients."""

import pickle

import numpy as np
import pytest
import torch
from tests.sparse_coo.helpers import assert_same_sparse, ember_repr, pair, random_coo

import ember

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

IDX = [[0, 1, 1, 0], [2, 0, 2, 2]]  # (0, 2) twice: coalesce must add
VALS = [3.0, 4.0, 5.0, 1.0]


@pytest.mark.parametrize("indices, values, size, kwargs", [
    (IDX, VALS, None, {}),
    (IDX, VALS, (2, 3), {}),
    (IDX, VALS, (4, 5), {"dtype": "float64"}),
    (IDX, [3, 4, 5, 1], None, {}),
    (IDX, [3, 4, 5, 1], None, {"dtype": "int32"}),
    (IDX, VALS, None, {"requires_grad": True}),
    ([[0, 2]], [[1.5, -2.0, 0.25], [3.0, 1e-3, 7.0]], (4, 3), {}),
    (np.zeros((2, 0), np.int64), np.zeros(0), (2, 3), {}),
    (np.zeros((2, 0), np.int64), np.zeros((0, 2)), (2, 3, 2), {}),
    ([[0, 9, 3, 2, 0, 1, 7, 5] * 30], np.arange(240.0) / 7, (10,), {}),
])
def test_construction_prints_as_torch(indices, values, size, kwargs):
    values = np.asarray(values)
    if values.dtype == np.float64 and "dtype" not in kwargs:
        values = values.astype(np.float32)
    t, e = pair(indices, values, size, **kwargs)
    assert repr(e) == ember_repr(t)
    assert_same_sparse(e, t)
    assert e.requires_grad == t.requires_grad and e.is_leaf == t.is_leaf


def test_metadata_matches_torch():
    t, e = pair([[0, 1], [2, 0], [1, 1]], np.ones((2, 4), np.float32), (2, 3, 2, 4))
    assert e.shape == t.shape and e.size() == tuple(t.size()) and e.size(-2) == t.size(-2)
    assert (e.dim(), e.ndim, e.numel(), len(e)) == (t.dim(), t.ndim, t.numel(), len(t))
    assert e.is_sparse and e.layout is ember.sparse_coo and repr(e.layout) == "ember.sparse_coo"
    assert repr(ember.strided) == "ember.strided" and ember.strided is not ember.sparse_coo
    assert pickle.loads(pickle.dumps(ember.sparse_coo)) is ember.sparse_coo
    assert e.device.type == "cpu"
    for args, kw in ((((2, 3),), {}), (([2, 3],), {"dtype": "float64"})):
        t_kw = {k: getattr(torch, v) for k, v in kw.items()}
        e_kw = {k: getattr(ember, v) for k, v in kw.items()}
        assert repr(ember.sparse_coo_tensor(*args, **e_kw)) == ember_repr(
            torch.sparse_coo_tensor(*args, **t_kw))


def test_size_inference_and_index_conversion():
    # float and int32 indices become int64; the inferred size is the largest index plus one
    t = torch.sparse_coo_tensor(torch.tensor([[0.5, 3.0], [2.0, 0.0]]), torch.tensor([1., 2.]))
    e = ember.sparse_coo_tensor(ember.tensor([[0.5, 3.0], [2.0, 0.0]]), ember.tensor([1., 2.]))
    assert_same_sparse(e, t)
    e = ember.sparse_coo_tensor(ember.tensor(IDX, dtype=ember.int32), VALS, (2, 3))
    assert e._indices().dtype == ember.int64
    t, e = pair([[0], [1]], np.float32(2.5))
    assert repr(e) == ember_repr(t)  # a 0-d value is one entry
    t = torch.sparse_coo_tensor([[1, 0, 2]], [[1.0, 2.0]] * 3)
    e = ember.sparse_coo_tensor([[1, 0, 2]], [[1.0, 2.0]] * 3)
    assert repr(e) == ember_repr(t)


def _both(fn):
    """Runs ``fn(lib)`` for torch and Ember; both must raise the same type and message."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(type(t_info.value)) as e_info:
        fn(ember)
    assert str(e_info.value) == str(t_info.value)


def _make(indices, values, *size, **kwargs):
    return lambda lib: lib.sparse_coo_tensor(
        lib.tensor(indices), lib.tensor(values), *size, **kwargs).to_dense()


@pytest.mark.parametrize("case", [
    _make([[0, -1], [2, 0]], [1.0, 2.0]),                                  # negative, inferred
    _make([[0, -1], [2, 0]], [1.0, 2.0], (2, 3), check_invariants=True),  # negative, checked
    _make([[0, 5], [2, 0]], [1.0, 2.0], (2, 3), check_invariants=True),   # too large
    _make([[0, 1], [2, 3]], [1.0, 2.0], (2, 3), check_invariants=True),   # too large, dim 1
    _make([[0, 1], [2, 0]], [1.0, 2.0, 3.0], (2, 3)),                     # nnz mismatch
    _make([[0, 1], [2, 0]], [1.0, 2.0, 3.0]),
    _make([0, 1], [1.0, 2.0], (2, 3)),                                    # 1-D indices
    _make([[[0], [1]]], [1.0]),                                           # 3-D indices
    _make([[0, 1], [2, 0]], [1.0, 2.0], (2,)),                            # len(size)
    _make([[0, 1], [2, 0]], [1.0, 2.0, 3.0], (2,)),                       # len(size) first
    _make([[0, 1], [2, 0]], [[1.0, 2.0], [3.0, 4.0]], (2, 3)),
    _make([[0, 1], [2, 0]], [[1.0, 2.0], [3.0, 4.0]], (2, 3, 3)),         # dense size
    _make([[0, 1], [2, 0]], [1.0, 2.0], (-2, 3)),
    _make([[1, 0], [2, 0]], [1.0, 2.0], (2, 3), is_coalesced=True, check_invariants=True),
    _make([[0, 0], [2, 2]], [1.0, 2.0], (2, 3), is_coalesced=True, check_invariants=True),
    _make([[1, 0], [2, 0]], [1, 2], (2, 3), requires_grad=True),
])
def test_construction_errors_match_torch(case):
    _both(case)


def test_uncoalesced_indices_and_values_raise_as_torch():
    _both(lambda lib: lib.sparse_coo_tensor(IDX, VALS).indices())
    _both(lambda lib: lib.sparse_coo_tensor(IDX, VALS).values())
    _both(lambda lib: lib.sparse_coo_tensor(IDX, VALS).to_dense(lib.float64))
    _both(lambda lib: lib.sparse_coo_tensor([[1, 2]], [1, 2]).requires_grad_())


def test_invariant_checks_follow_the_global_setting():
    bad = ([[0, 5], [2, 0]], [1.0, 2.0], (2, 3))
    for lib in (torch, ember):
        lib.sparse_coo_tensor(*bad)  # unchecked by default
        with lib.sparse.check_sparse_tensor_invariants():
            assert lib.sparse.check_sparse_tensor_invariants.is_enabled()
            with pytest.raises(RuntimeError, match="size is 2 but found index 5"):
                lib.sparse_coo_tensor(*bad)
            lib.sparse_coo_tensor(*bad, check_invariants=False)
        assert not lib.sparse.check_sparse_tensor_invariants.is_enabled()
    # where torch would read out of bounds, Ember checks before using the indices
    s = ember.sparse_coo_tensor(*bad)
    for use in (s.to_dense, s.coalesce, lambda: ember.sparse.mm(s, ember.ones(3, 1))):
        with pytest.raises(RuntimeError, match="for dim 0, size is 2 but found index 5"):
            use()


def test_declared_coalesced_is_trusted_and_checked_on_request():
    t, e = pair([[0, 1], [1, 2]], np.float32([1, 2]), (2, 3), is_coalesced=True,
                check_invariants=True)
    assert_same_sparse(e, t)
    assert e.coalesce() is e and t.coalesce() is t
    for flag, nnz in ((None, 1), (None, 0), (False, 1)):
        t, e = pair(np.zeros((2, nnz), np.int64), np.ones(nnz, np.float32), (2, 2),
                    is_coalesced=flag)
        assert e.is_coalesced() == t.is_coalesced()


@pytest.mark.parametrize("shape, nnz, dense", [
    ((5, 4), 30, ()), ((3, 4, 2), 25, ()), ((6,), 20, (3,)), ((4, 3), 12, (2, 2)),
    ((2, 3), 0, ()),
])
def test_coalesce_matches_torch(shape, nnz, dense):
    rng = np.random.default_rng(nnz)
    idx, vals = random_coo(rng, shape, nnz, dense)
    t, e = pair(idx, vals, shape + dense)
    tc, ec = t.coalesce(), e.coalesce()
    assert_same_sparse(ec, tc, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(ec.indices().numpy(), tc.indices().numpy())
    assert ec.coalesce() is ec
    np.testing.assert_allclose(e.to_dense().numpy(), t.to_dense().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ec.to_dense().numpy(), t.to_dense().numpy(), rtol=1e-12)


@pytest.mark.parametrize("through", ["to_dense", "coalesce"])
def test_gradient_to_values_matches_torch(through):
    rng = np.random.default_rng(7)
    idx, vals = random_coo(rng, (4, 3), 15, (2,))
    cot = rng.standard_normal((4, 3, 2))
    grads = []
    for lib in (torch, ember):
        v = lib.tensor(vals, requires_grad=True)
        s = lib.sparse_coo_tensor(lib.tensor(idx), v, (4, 3, 2))
        assert not s.is_leaf and s.grad_fn.name() == "SparseCooTensorWithDimsAndTensorsBackward0"
        if through == "coalesce":
            s = s.coalesce()
        (s.to_dense() * lib.tensor(cot)).sum().backward()
        grads.append(v.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12)
    # each stored entry gets the cotangent at its position, duplicates included
    np.testing.assert_array_equal(grads[1], cot[idx[0], idx[1]])


def test_leaf_gradient_is_sparse_on_the_coalesced_pattern():
    rng = np.random.default_rng(3)
    cot = rng.standard_normal((2, 3))
    out = []
    for lib in (torch, ember):
        s = lib.sparse_coo_tensor(lib.tensor(IDX), lib.tensor(VALS, dtype=lib.float64), (2, 3),
                                  requires_grad=True)
        assert s.is_leaf and s.grad is None
        (s.to_dense().pow(2) * lib.tensor(cot)).sum().backward()
        out.append(s.grad)
    assert_same_sparse(out[1], out[0], rtol=1e-12)
    np.testing.assert_allclose(out[1].to_dense().numpy(), out[0].to_dense().numpy(), rtol=1e-12)
    for lib in (torch, ember):  # values() and _values() as torch: one in the graph, one not
        c = lib.sparse_coo_tensor(IDX, VALS, requires_grad=True).coalesce()
        assert c.values().requires_grad and not c._values().requires_grad
        assert c.values().grad_fn.name() == "ValuesBackward0"


def test_leaf_gradient_can_be_reset_and_set():
    s = ember.sparse_coo_tensor(IDX, VALS, (2, 3), requires_grad=True)
    s.to_dense().sum().backward()
    np.testing.assert_array_equal(s.grad.to_dense().numpy(), [[0, 0, 1], [1, 0, 1]])
    s.grad = None
    assert s.grad is None
    s.grad = ember.sparse_coo_tensor([[0], [2]], [5.0], (2, 3))
    np.testing.assert_array_equal(s.grad.to_dense().numpy(), [[0, 0, 5], [0, 0, 0]])


@pytest.mark.parametrize("shape, sparse_dim", [
    ((4, 5), None), ((4, 5), 1), ((3, 4, 2), None), ((3, 4, 2), 2), ((3, 4, 2), 1), ((), None),
    ((6,), None), ((0, 3), None),
])
def test_to_sparse_matches_torch(shape, sparse_dim):
    rng = np.random.default_rng(len(shape))
    x = np.asarray(rng.standard_normal(shape) * (rng.random(shape) < 0.4))
    t = torch.tensor(x).to_sparse(sparse_dim) if sparse_dim else torch.tensor(x).to_sparse()
    e = ember.sparse.to_sparse(ember.tensor(x), sparse_dim)
    assert repr(e) == ember_repr(t)
    assert_same_sparse(e, t)
    np.testing.assert_array_equal(e.to_dense().numpy(), x)  # the round trip is exact
    assert e.to_sparse() is e


def test_to_sparse_of_zeros_and_errors_match_torch():
    for x in (np.zeros(()), np.zeros((2, 3)), np.array(3.0)):
        t, e = torch.tensor(x).to_sparse(), ember.sparse.to_sparse(ember.tensor(x))
        assert repr(e) == ember_repr(t)
    for sd in (3, -1, 0):
        _both(lambda lib, sd=sd: lib.ones(2, 3).to_sparse(sd) if lib is torch
              else ember.sparse.to_sparse(ember.ones(2, 3), sd))
    _both(lambda lib: lib.sparse_coo_tensor([[0], [1]], [1.0]).to_sparse(1))


def test_to_sparse_gradient_to_the_dense_input():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((4, 3)) * (rng.random((4, 3)) < 0.5)
    cot = rng.standard_normal((4, 3))
    grads = []
    for lib in (torch, ember):
        d = lib.tensor(x, requires_grad=True)
        s = d.to_sparse(1) if lib is torch else ember.sparse.to_sparse(d, 1)
        (s.to_dense() * lib.tensor(cot)).sum().backward()
        grads.append(d.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])
    v = ember.tensor(rng.standard_normal(5), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda v: ember.sparse_coo_tensor([[0, 2, 2, 1, 0], [1, 1, 1, 0, 1]], v, (3, 2))
        .coalesce().to_dense(), (v,))


def test_transpose_and_scalar_arithmetic_match_torch():
    t, e = pair([[0, 1, 1, 0], [2, 0, 2, 2], [1, 1, 0, 0]], np.float32([3, 4, 5, 1]))
    for f in (lambda s: s.transpose(0, 2), lambda s: s.transpose(-1, 1), lambda s: s * 2,
              lambda s: 2.5 * s, lambda s: s / 4, lambda s: -s, lambda s: s.mul(0.5),
              lambda s: s.coalesce() * 3, lambda s: s.coalesce().transpose(0, 1),
              lambda s: s.detach(), lambda s: s.double()):
        assert_same_sparse(f(e), f(t))
    t2, e2 = pair(IDX, np.float32(VALS), (2, 3))
    assert_same_sparse(e2.t(), t2.t())
    assert_same_sparse(e2.coalesce().t(), t2.coalesce().t())
    _t1, e1 = pair([[0, 3]], np.float32([1, 2]))
    assert e1.t() is e1
    assert_same_sparse(e2 * ember.tensor(2.0), t2 * torch.tensor(2.0))
    _both(lambda lib: lib.sparse_coo_tensor([[0, 1]], [[1.0, 2.0]] * 2).transpose(1, 0))
    _both(lambda lib: lib.sparse_coo_tensor([[0], [1], [2]], [1.0]).t())
    with pytest.raises(TypeError):
        e2 * "x"


def test_dense_tensor_sparse_methods_match_torch():
    x = np.array([[0.0, 2.0, 0.0], [3.0, 0.0, 4.0]], np.float32)
    t, e = torch.tensor(x), ember.tensor(x)
    assert e.is_sparse is False and e.layout is ember.strided and e.to_dense() is e
    assert repr(e.to_sparse()) == ember_repr(t.to_sparse())
    assert repr(e.to_sparse(1)) == ember_repr(t.to_sparse(1))
    assert repr(e.to_sparse(layout=ember.sparse_coo)) == ember_repr(
        t.to_sparse(layout=torch.sparse_coo))


@pytest.mark.parametrize("dense_shape", [(4, 3, 2), (3, 1), (2,), (4, 1, 1), ()])
def test_multiplication_by_a_dense_tensor_matches_torch(dense_shape):
    rng = np.random.default_rng(len(dense_shape))
    idx, vals = random_coo(rng, (4, 3), 9, (2,))
    d_arr = rng.standard_normal(dense_shape)
    cot = rng.standard_normal((4, 3, 2))
    # torch's backward cannot reach a dense operand that broadcasts (no sparse 'view')
    d_grad = dense_shape in ((4, 3, 2), ())
    results = []
    for lib in (torch, ember):
        v, d = lib.tensor(vals, requires_grad=True), lib.tensor(d_arr, requires_grad=d_grad)
        out = lib.sparse_coo_tensor(lib.tensor(idx), v, (4, 3, 2)) * d
        (out.to_dense() * lib.tensor(cot)).sum().backward()
        g = d.grad if d_grad else lib.zeros(1)
        results += [out, v.grad.numpy(), (g.to_dense() if getattr(g, "is_sparse", 0) else g)]
    assert_same_sparse(results[3], results[0], rtol=1e-12)
    np.testing.assert_allclose(results[4], results[1], rtol=1e-12)
    np.testing.assert_allclose(results[5].numpy(), results[2].numpy(), rtol=1e-12, atol=1e-14)
    v, d = ember.tensor(vals, requires_grad=True), ember.tensor(d_arr, requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda v, d: (ember.sparse_coo_tensor(ember.tensor(idx), v, (4, 3, 2)) * d).to_dense(),
        (v, d))


def test_multiplication_errors_match_torch():
    _both(lambda lib: lib.sparse_coo_tensor(IDX, VALS) * lib.ones(3, 2))
    _both(lambda lib: lib.sparse_coo_tensor(IDX, VALS) / lib.ones(1))
