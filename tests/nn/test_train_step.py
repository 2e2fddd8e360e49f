"""A few SGD steps of a small network built from the activation, normalization, embedding and
loss layers, side by side with torch from the same weights: losses and parameters must agree."""

import numpy as np
import torch

import ember


def _net(nn):
    return nn.Sequential(
        nn.Linear(6, 16), nn.BatchNorm1d(16), nn.GELU(), nn.Linear(16, 16), nn.LayerNorm(16),
        nn.SiLU(), nn.Dropout(0.0), nn.Linear(16, 5), nn.LogSoftmax(dim=1))


def test_training_steps_match_torch():
    t_net, e_net = _net(torch.nn), _net(ember.nn)
    t_net.double()
    e_net.double()
    e_net.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_net.state_dict().items()})
    t_opt = torch.optim.SGD(t_net.parameters(), lr=0.1, momentum=0.9)
    e_opt = ember.optim.SGD(e_net.parameters(), lr=0.1, momentum=0.9)
    t_loss_fn = torch.nn.NLLLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0, 1.0],
                                                     dtype=torch.float64))
    e_loss_fn = ember.nn.NLLLoss(weight=ember.tensor([1.0, 2.0, 0.5, 1.0, 1.0],
                                                     dtype=ember.float64))
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.normal(size=(12, 6)), rng.integers(0, 5, 12)
        losses = []
        for net, opt, loss_fn, lib in [(t_net, t_opt, t_loss_fn, torch),
                                       (e_net, e_opt, e_loss_fn, ember)]:
            opt.zero_grad()
            loss = loss_fn(net(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            opt.step()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-10)
    for (name, tp), (_, ep) in zip(t_net.state_dict().items(), e_net.state_dict().items(),
                                   strict=True):
        np.testing.assert_allclose(ep.numpy(), tp.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
    t_net.eval()
    e_net.eval()
    x = rng.normal(size=(4, 6))
    np.testing.assert_allclose(e_net(ember.tensor(x)).detach().numpy(),
                               t_net(torch.tensor(x)).detach().numpy(), rtol=1e-9)


def test_cross_entropy_classifier_with_embedding_matches_torch():
    def build(nn):
        return nn.Embedding(7, 4, padding_idx=0), nn.Linear(4, 3)

    (te, tl), (ee, el) = build(torch.nn), build(ember.nn)
    ee.weight.data = ember.tensor(te.weight.detach().numpy())
    el.weight.data = ember.tensor(tl.weight.detach().numpy())
    el.bias.data = ember.tensor(tl.bias.detach().numpy())
    idx = np.array([[0, 3, 5], [6, 6, 1]])
    target = np.array([2, 0])
    t_loss = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(
        tl(te(torch.tensor(idx)).mean(1)), torch.tensor(target))
    e_loss = ember.nn.CrossEntropyLoss(label_smoothing=0.1)(
        el(ee(ember.tensor(idx)).mean(1)), ember.tensor(target))
    t_loss.backward()
    e_loss.backward()
    np.testing.assert_allclose(e_loss.item(), t_loss.item(), rtol=1e-6)
    np.testing.assert_allclose(ee.weight.grad.numpy(), te.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(el.weight.grad.numpy(), tl.weight.grad.numpy(), rtol=1e-5,
                               atol=1e-7)
