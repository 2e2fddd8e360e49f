"""ember.sparse.mm / spmm / @, sum and softmax against torch: values, dtypes, errors and
gradients to the dense operands and to the sparse values; a two-layer GCN step."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from tests.sparse_coo.helpers import assert_same_sparse, ember_repr, pair, random_coo

import ember
import ember.nn.functional as EF

pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),
              pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")]

TOLS = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-5, atol=1e-5)}


def _both(fn):
    """``fn(lib)`` must raise the same exception type and message in torch and Ember."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(type(t_info.value)) as e_info:
        fn(ember)
    assert str(e_info.value) == str(t_info.value)


def _run(lib, idx, vals, size, dense, cot, product, leaf):
    """The product's value and the gradients of ``(product * cot).sum()``: to the dense
    operand, and to the values (a values tensor that requires grad) or the sparse leaf's
    grad (as a dense array restricted to the leaf's pattern)."""
    d = lib.tensor(dense, requires_grad=True)
    if leaf:
        s = lib.sparse_coo_tensor(lib.tensor(idx), lib.tensor(vals), size, requires_grad=True)
        v = None
    else:
        v = lib.tensor(vals, requires_grad=True)
        s = lib.sparse_coo_tensor(lib.tensor(idx), v, size)
    out = product(lib, s, d)
    (out * lib.tensor(cot)).sum().backward()
    if leaf:
        # torch.mm, @ and spmm give a sparse leaf a dense gradient (the whole of G D^T),
        # torch.sparse.mm its restriction to the leaf's pattern; Ember gives the restriction
        grad_s = s.grad.to_dense().numpy() * (s.detach().to_dense().numpy() != 0)
    else:
        grad_s = v.grad.numpy()
    return out.detach().numpy(), d.grad.numpy(), grad_s


PRODUCTS = {
    "sparse.mm": (lambda lib, s, d: lib.sparse.mm(s, d), True),
    "spmm": (lambda lib, s, d: lib.spmm(s, d), True),
    "matmul": (lambda lib, s, d: s @ d, True),
    "method": (lambda lib, s, d: s.mm(d), True),
    "dense@sparse": (lambda lib, s, d: lib.sparse.mm(d, s), False),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("leaf", [False, True])
def test_sparse_dense_product_and_gradients_match_torch(name, dtype, leaf):
    product, sparse_left = PRODUCTS[name]
    rng = np.random.default_rng(5)
    n, m, p = 6, 5, 3
    idx, vals = random_coo(rng, (n, m), 14)  # with duplicates
    dense = rng.standard_normal((m, p) if sparse_left else (p, n))
    cot = rng.standard_normal((n, p) if sparse_left else (p, m))
    vals, dense, cot = vals.astype(dtype), dense.astype(dtype), cot.astype(dtype)
    got = _run(ember, idx, vals, (n, m), dense, cot, product, leaf)
    want = _run(torch, idx, vals, (n, m), dense, cot, product, leaf)
    for g, w, what in zip(got, want, ("output", "dense grad", "sparse grad"), strict=True):
        assert g.dtype == w.dtype, what
        np.testing.assert_allclose(g, w, **TOLS[dtype], err_msg=what)


def test_products_pass_gradcheck():
    rng = np.random.default_rng(2)
    idx, vals = random_coo(rng, (4, 3), 7)
    v = ember.tensor(vals, requires_grad=True)
    d = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    e = ember.tensor(rng.standard_normal((2, 4)), requires_grad=True)

    def sparse_of(v):
        return ember.sparse_coo_tensor(ember.tensor(idx), v, (4, 3))

    assert ember.autograd.gradcheck(lambda v, d: ember.sparse.mm(sparse_of(v), d), (v, d))
    assert ember.autograd.gradcheck(lambda v, e: ember.sparse.mm(e, sparse_of(v)), (v, e))
    w = ember.tensor(rng.standard_normal(7), requires_grad=True)
    assert ember.autograd.gradcheck(
        lambda v, w: (sparse_of(v) @ sparse_of(w).t()).to_dense(), (v, w))


def test_sparse_sparse_product_matches_torch():
    rng = np.random.default_rng(9)
    ia, va = random_coo(rng, (5, 4), 9)
    ib, vb = random_coo(rng, (4, 6), 8)
    cot = rng.standard_normal((5, 6))
    outs, grads = [], []
    for lib in (torch, ember):
        a = lib.sparse_coo_tensor(lib.tensor(ia), lib.tensor(va), (5, 4), requires_grad=True)
        b = lib.sparse_coo_tensor(lib.tensor(ib), lib.tensor(vb), (4, 6), requires_grad=True)
        out = lib.sparse.mm(a, b)
        (out.to_dense() * lib.tensor(cot)).sum().backward()
        outs.append(out)
        grads.append((a.grad.to_dense().numpy(), b.grad.to_dense().numpy()))
    assert outs[1].is_sparse and outs[1].is_coalesced() == outs[0].is_coalesced()
    np.testing.assert_array_equal(outs[1].indices().numpy(), outs[0].indices().numpy())
    np.testing.assert_allclose(outs[1].values().detach().numpy(),
                               outs[0].values().detach().numpy(), rtol=1e-12)
    for g, w in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def test_sparse_sparse_edge_cases_match_torch():
    for lib_pair in ([[0, 0], [0, 1]], np.float32([1, -1]), (2, 2)), (np.zeros((2, 0), np.int64),
                                                             np.zeros(0, np.float32), (2, 2)):
        t, e = pair(*lib_pair)
        u, f = pair([[0, 1], [0, 0]], np.float32([1, 1]), (2, 2))
        # a product that cancels to zero keeps its entry, as torch's does
        assert repr(ember.sparse.mm(e, f)) == ember_repr(torch.sparse.mm(t, u))
    _both(lambda lib: lib.sparse.mm(lib.sparse_coo_tensor([[0], [0]], [1.0], (2, 2)),
                                    lib.sparse_coo_tensor([[0], [0]], [1.0], (3, 2))))


def test_integer_and_half_products_match_torch():
    t, e = pair([[0, 1, 1], [1, 0, 2]], np.array([2, 3, 4]), (2, 3))
    d = np.arange(6).reshape(3, 2)
    out = ember.sparse.mm(e, ember.tensor(d))
    assert out.dtype == ember.int64
    np.testing.assert_array_equal(out.numpy(), torch.sparse.mm(t, torch.tensor(d)).numpy())
    out = ember.sparse.mm(e.half(), ember.tensor(d).half())
    assert out.dtype == ember.float16
    np.testing.assert_array_equal(out.numpy(), torch.sparse.mm(t.half(), torch.tensor(d).half()))


def _sp(lib, *size, dtype=None, dense_dims=0):
    values = [[1.0, 2.0]] * 2 if dense_dims else [1.0, 2.0]
    return lib.sparse_coo_tensor([[0, 1], [1, 0]][:len(size) - dense_dims], values, size,
                                 dtype=None if dtype is None else getattr(lib, dtype))


@pytest.mark.parametrize("case", [
    lambda lib: lib.sparse.mm(_sp(lib, 2, 3), lib.ones(2, 2)),                  # inner sizes
    lambda lib: lib.sparse.mm(_sp(lib, 2, 3), lib.ones(3, 2, dtype=lib.float64)),
    lambda lib: lib.sparse.mm(_sp(lib, 2, 3, dtype="float64"), lib.ones(3, 2)),
    lambda lib: lib.sparse.mm(_sp(lib, 2, 3), lib.ones(3)),                     # 1-D dense
    lambda lib: lib.spmm(_sp(lib, 2, 3), lib.ones(3)),
    lambda lib: lib.sparse.mm(lib.sparse_coo_tensor([[0, 1]], [1.0, 2.0]), lib.ones(3)),
    lambda lib: lib.sparse.mm(_sp(lib, 2, 2, dense_dims=1), lib.ones(2, 2)),   # hybrid
    lambda lib: lib.sparse.mm(lib.sparse_coo_tensor([[0, 1], [1, 0]], [[1.0, 2.0]] * 2),
                              lib.ones(2, 2)),
    lambda lib: lib.sparse.mm(lib.ones(2, 2), _sp(lib, 3, 2)),                  # dense @ sparse
    lambda lib: lib.sparse.mm(_sp(lib, 2, 3).bool(), lib.ones(3, 2, dtype=lib.bool)),
])
def test_product_errors_match_torch(case):
    _both(case)


def _is_sparse(x) -> bool:
    return isinstance(x, ember.sparse.SparseTensor) or (isinstance(x, torch.Tensor)
                                                        and x.is_sparse)


@pytest.mark.parametrize("dim", [None, 0, 1, 2, 3, -1, (0, 2), (1, 3), (0, 1), (0, 1, 2),
                                 (0, 1, 2, 3), (2, 3), ()])
def test_sum_matches_torch(dim):
    rng = np.random.default_rng(4)
    idx, vals = random_coo(rng, (3, 4, 2), 12, (3,))
    results = []
    for lib in (torch, ember):
        v = lib.tensor(vals, requires_grad=True)
        s = lib.sparse_coo_tensor(lib.tensor(idx), v, (3, 4, 2, 3))
        out = lib.sparse.sum(s) if dim is None else lib.sparse.sum(s, dim)
        results.append(out)
        dense = out.to_dense() if _is_sparse(out) else out
        cot = np.random.default_rng(8).standard_normal(tuple(dense.shape))
        (dense * lib.tensor(cot)).sum().backward()
        results.append(v.grad.numpy())
    (t_out, t_grad, e_out, e_grad) = results
    assert _is_sparse(e_out) == _is_sparse(t_out)
    if t_out.is_sparse:
        assert_same_sparse(e_out, t_out, rtol=1e-12, atol=1e-12)
    else:
        assert tuple(e_out.shape) == tuple(t_out.shape) and e_out.dtype == ember.float64
        np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-12)


def test_sum_dtypes_and_errors_match_torch():
    t, e = pair([[0, 1, 1]], np.array([1, 2, 3]), (3,))
    assert ember.sparse.sum(e).dtype == ember.int64 and int(ember.sparse.sum(e)) == 6
    out = ember.sparse.sum(e, dtype=ember.float64)
    assert out.dtype == ember.float64 and float(out) == float(torch.sparse.sum(t))
    _both(lambda lib: lib.sparse.sum(lib.sparse_coo_tensor([[0, 1]], [1.0, 2.0]), 3))
    _both(lambda lib: lib.sparse.sum(lib.sparse_coo_tensor([[0, 1]], [1.0, 2.0]), (0, 0)))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
def test_softmax_matches_torch(fn, dim):
    rng = np.random.default_rng(6)
    idx, vals = random_coo(rng, (4, 5), 13, (2,) if dim == 2 else ())
    size = (4, 5, 2) if dim == 2 else (4, 5)
    cot = rng.standard_normal(size)
    results = []
    for lib in (torch, ember):
        v = lib.tensor(vals, requires_grad=True)
        s = lib.sparse_coo_tensor(lib.tensor(idx), v, size)
        # torch's backward does not wrap a negative dim (its gradcheck fails): ask it for
        # the same dim counted from the front
        out = getattr(lib.sparse, fn)(s, dim if lib is ember else dim % len(size))
        (out.to_dense() * lib.tensor(cot)).sum().backward()
        results += [out, v.grad.numpy()]
    t_out, t_grad, e_out, e_grad = results
    assert_same_sparse(e_out, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-10, atol=1e-12)
    v = ember.tensor(vals, requires_grad=True)
    assert ember.autograd.gradcheck(lambda v: getattr(ember.sparse, fn)(
        ember.sparse_coo_tensor(ember.tensor(idx), v, size), dim).to_dense(), (v,))


def test_softmax_dtype_and_errors_match_torch():
    t, e = pair([[0, 1, 1], [2, 0, 2]], np.float32([3, 4, 5]), (2, 3))
    assert_same_sparse(ember.sparse.softmax(e, 1, dtype=ember.float64),
                       torch.sparse.softmax(t, 1, dtype=torch.float64))
    _both(lambda lib: lib.sparse.softmax(lib.sparse_coo_tensor([[0, 1]], [1.0, 2.0]), 1))


def _normalized_adjacency(lib, edges, n):
    """``D^-1/2 (A + I) D^-1/2`` of an undirected graph, built as a sparse tensor."""
    src = np.concatenate([edges[0], edges[1], np.arange(n)])
    dst = np.concatenate([edges[1], edges[0], np.arange(n)])
    deg = np.bincount(src, minlength=n).astype(np.float64)
    w = 1.0 / np.sqrt(deg[src] * deg[dst])
    return lib.sparse_coo_tensor(lib.tensor(np.stack([src, dst])), lib.tensor(w), (n, n))


def _gcn_step(lib, F, data):
    """Loss, weight gradients and the loss after one SGD step of a two-layer GCN."""
    edges, x, y, w1, w2 = data
    a = _normalized_adjacency(lib, edges, x.shape[0])
    params = [lib.tensor(w1, requires_grad=True), lib.tensor(w2, requires_grad=True)]
    opt = lib.optim.SGD(params, lr=0.5)

    def loss_fn():
        h = F.relu(lib.sparse.mm(a, lib.tensor(x) @ params[0]))
        return F.cross_entropy(a @ (h @ params[1]), lib.tensor(y))

    loss = loss_fn()
    loss.backward()
    grads = [p.grad.numpy().copy() for p in params]
    opt.step()
    return loss.item(), grads, loss_fn().item()


def test_two_layer_gcn_step_matches_torch():
    rng = np.random.default_rng(0)
    n, f, h, c = 30, 8, 16, 3
    edges = rng.integers(0, n, size=(2, 70))
    edges = edges[:, edges[0] != edges[1]]
    data = (edges, rng.standard_normal((n, f)), rng.integers(0, c, n),
            rng.standard_normal((f, h)) * 0.3, rng.standard_normal((h, c)) * 0.3)
    t_loss, t_grads, t_next = _gcn_step(torch, TF, data)
    e_loss, e_grads, e_next = _gcn_step(ember, EF, data)
    assert abs(e_loss - t_loss) <= 1e-12 * abs(t_loss)
    for g, w in zip(e_grads, t_grads, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-13)
    assert abs(e_next - t_next) <= 1e-12 * abs(t_next) and e_next < e_loss
