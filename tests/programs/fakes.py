"""Tiny local stand-ins for ``torchvision``, ``gymnasium``, ``requests`` and ``matplotlib``.

:func:`build` returns the fake modules for one library ``T`` (real torch or Ember). Data come
from seeded NumPy generators and every conversion to a tensor happens in NumPy first, so both
libraries receive bit-identical inputs. Images are real PIL images, as torchvision's datasets
return them, and the transforms follow torchvision's definitions (``ToTensor`` scales a uint8
image by 1/255 in the default dtype; ``Normalize`` subtracts and divides per channel).
"""

from __future__ import annotations

import io
import math
import tarfile
import types
from collections.abc import Callable

import numpy as np
from PIL import Image

MNIST_SIZES = {True: 40, False: 20}


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def _transforms(T: types.ModuleType) -> types.ModuleType:
    """``torchvision.transforms`` for library ``T``: the transforms the programs use."""

    def to_tensor(pic):
        array = np.asarray(pic)
        if array.ndim == 2:
            array = array[:, :, None]
        dtype = np.dtype(str(T.get_default_dtype()).rpartition(".")[2])
        array = array.transpose(2, 0, 1).astype(dtype) / dtype.type(255)
        return T.from_numpy(np.ascontiguousarray(array))

    class ToTensor:
        def __call__(self, pic):
            return to_tensor(pic)

    class Normalize:
        def __init__(self, mean, std, inplace=False):
            self.mean, self.std = mean, std

        def __call__(self, tensor):
            mean = T.tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
            std = T.tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
            return (tensor - mean) / std

    class Compose:
        def __init__(self, transforms):
            self.transforms = transforms

        def __call__(self, image):
            for transform in self.transforms:
                image = transform(image)
            return image

    class Resize:
        def __init__(self, size, interpolation=Image.BILINEAR):
            self.size, self.interpolation = size, interpolation

        def __call__(self, image):
            w, h = image.size
            if isinstance(self.size, int):  # the shorter side becomes size
                if w <= h:
                    new = (self.size, int(self.size * h / w))
                else:
                    new = (int(self.size * w / h), self.size)
            else:
                new = (self.size[1], self.size[0])
            return image.resize(new, self.interpolation)

    class CenterCrop:
        def __init__(self, size):
            self.size = (size, size) if isinstance(size, int) else tuple(size)

        def __call__(self, image):
            w, h = image.size
            th, tw = self.size
            left, top = round((w - tw) / 2.0), round((h - th) / 2.0)
            return image.crop((left, top, left + tw, top + th))

    return _module("torchvision.transforms", Compose=Compose, ToTensor=ToTensor,
                   Normalize=Normalize, Resize=Resize, CenterCrop=CenterCrop)


def _datasets(T: types.ModuleType) -> types.ModuleType:
    """``torchvision.datasets`` for library ``T``: seeded MNIST and FakeData."""
    Dataset = T.utils.data.Dataset

    class MNIST(Dataset):
        """40 training / 20 test 28x28 images: a noisy blob whose position is the class."""

        def __init__(self, root, train=True, transform=None, target_transform=None,
                     download=False):
            rng = np.random.default_rng(1 if train else 2)
            n = MNIST_SIZES[bool(train)]
            targets = rng.permutation(np.arange(n) % 10)  # every class at least twice
            yy, xx = np.mgrid[0:28, 0:28]
            images = np.empty((n, 28, 28), np.uint8)
            for i, t in enumerate(targets):
                cy, cx = 6 + 2 * (t % 4) * 2, 6 + (t // 4) * 6
                blob = 255 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
                noise = rng.integers(0, 60, (28, 28))
                images[i] = np.clip(blob + noise, 0, 255).astype(np.uint8)
            self.data = T.from_numpy(images)
            self.targets = T.from_numpy(targets.astype(np.int64))
            self.transform, self.target_transform = transform, target_transform

        def __len__(self):
            return len(self.data)

        def __getitem__(self, index):
            image = Image.fromarray(self.data[index].numpy(), mode="L")
            target = int(self.targets[index])
            if self.transform is not None:
                image = self.transform(image)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return image, target

    class FakeData(Dataset):
        def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                     target_transform=None, random_offset=0):
            self.size, self.image_size, self.num_classes = size, image_size, num_classes
            self.transform, self.target_transform = transform, target_transform

        def __len__(self):
            return self.size

        def __getitem__(self, index):
            rng = np.random.default_rng(index)
            c, h, w = self.image_size
            image = Image.fromarray(rng.integers(0, 256, (h, w, c), dtype=np.uint8), mode="RGB")
            target = int(rng.integers(0, self.num_classes))
            if self.transform is not None:
                image = self.transform(image)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return image, target

    return _module("torchvision.datasets", MNIST=MNIST, FakeData=FakeData)


def _save_image_for(T: types.ModuleType) -> Callable:
    """``torchvision.utils.save_image`` for library ``T``: checks its argument, writes nothing."""

    def save_image(tensor, fp, **kwargs):
        if not isinstance(tensor, T.Tensor):
            raise TypeError(f"tensor expected, got {type(tensor)}")

    return save_image


def build(T: types.ModuleType) -> dict[str, types.ModuleType]:
    """The fake modules for library ``T`` (real torch or Ember), by import name."""
    transforms = _transforms(T)
    datasets = _datasets(T)
    utils = _module("torchvision.utils", save_image=_save_image_for(T))
    models = _module("torchvision.models", resnet18=_resnet18_builder(T))
    torchvision = _module("torchvision", transforms=transforms, datasets=datasets, utils=utils,
                          models=models)
    torchvision.__path__ = []
    gymnasium = _module("gymnasium", make=_make_env)
    requests = _module("requests", get=_get)
    pyplot = _module("matplotlib.pyplot", **{name: _ignore for name in _PYPLOT})
    matplotlib = _module("matplotlib", use=_ignore, pyplot=pyplot)
    matplotlib.__path__ = []
    return {"requests": requests, "matplotlib": matplotlib, "matplotlib.pyplot": pyplot,
            "torchvision": torchvision, "torchvision.transforms": transforms,
            "torchvision.datasets": datasets, "torchvision.utils": utils,
            "torchvision.models": models, "gymnasium": gymnasium}


# plotting is not what the suite compares; a figure of 1000-point curves costs seconds
_PYPLOT = ["figure", "title", "xlabel", "ylabel", "xticks", "yticks", "plot", "savefig", "close",
           "show", "legend", "subplot", "imshow"]


def _ignore(*args, **kwargs) -> None:
    return None


def _resnet18_builder(T):
    """torchvision's ResNet-18 layout (same module names and shapes), built from ``T.nn``."""
    nn = T.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                                nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet(nn.Module):
        def __init__(self, num_classes=1000):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            planes = [(64, 64, 1), (64, 128, 2), (128, 256, 2), (256, 512, 2)]
            for i, (inplanes, out, stride) in enumerate(planes, 1):
                setattr(self, f"layer{i}", nn.Sequential(BasicBlock(inplanes, out, stride),
                                                         BasicBlock(out, out)))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(T.flatten(self.avgpool(x), 1))

    def resnet18(weights=None, progress=True, **kwargs):
        return ResNet(**kwargs)

    return resnet18


class _Spec:
    reward_threshold = 11.0  # low, so REINFORCE "solves" it after a few short episodes
    max_episode_steps = 500


class CartPole:
    """Cart-pole balancing with the classic equations of motion (Barto, Sutton & Anderson)."""

    gravity, cart_mass, pole_mass, half_length, force, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02

    def __init__(self, render_mode=None):
        self.spec = _Spec()
        self.render_mode = render_mode
        self.rng = np.random.default_rng(0)
        self.state = None
        self.steps = 0

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state = self.rng.uniform(-0.05, 0.05, 4)
        self.steps = 0
        return self.state.copy(), {}

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force if action == 1 else -self.force
        total = self.cart_mass + self.pole_mass
        pole_moment = self.pole_mass * self.half_length
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + pole_moment * theta_dot ** 2 * sin) / total
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.half_length * (4.0 / 3.0 - self.pole_mass * cos ** 2 / total))
        x_acc = temp - pole_moment * theta_acc * cos / total
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * x_acc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * theta_acc
        self.state = np.array([x, x_dot, theta, theta_dot])
        self.steps += 1
        terminated = bool(abs(x) > 2.4 or abs(theta) > 12 * 2 * math.pi / 360)
        truncated = self.steps >= self.spec.max_episode_steps
        return self.state.copy(), 1.0, terminated, truncated, {}

    def render(self):
        return None


def _make_env(name, render_mode=None, **kwargs):
    if name != "CartPole-v1":
        raise ValueError(f"only CartPole-v1 is faked, not {name}")
    return CartPole(render_mode)


CORA_NODES, CORA_WORDS, CORA_CLASSES = 1640, 24, 3


def cora_archive() -> bytes:
    """A small Cora-format graph as ``cora.tgz``: ``cora/cora.content`` and ``cora/cora.cites``.

    1640 papers (the programs keep the last 140 (gcn) or 40 (gat) for training), 24 binary word
    features whose frequencies depend on the class, and citations mostly within a class.
    """
    rng = np.random.default_rng(7)
    ids = rng.choice(10**6, CORA_NODES, replace=False)
    labels = rng.integers(0, CORA_CLASSES, CORA_NODES)
    rates = rng.uniform(0.05, 0.5, (CORA_CLASSES, CORA_WORDS))
    words = (rng.random((CORA_NODES, CORA_WORDS)) < rates[labels]).astype(int)
    content = "".join(f"{i}\t" + "\t".join(map(str, w)) + f"\tclass_{c}\n"
                      for i, w, c in zip(ids, words, labels, strict=True))
    cites = []
    for a in range(CORA_NODES):
        for _ in range(2):
            same = np.flatnonzero(labels == labels[a]) if rng.random() < 0.8 else np.arange(
                CORA_NODES)
            b = int(rng.choice(same))
            if b != a:
                cites.append(f"{ids[a]}\t{ids[b]}\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("cora/cora.content", content), ("cora/cora.cites", "".join(cites))):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class _Response:
    def __init__(self, body: bytes):
        self.raw = io.BytesIO(body)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _get(url, stream=False, **kwargs):
    if not url.endswith("cora.tgz"):
        raise ConnectionError(f"no network in the compatibility suite: {url}")
    return _Response(cora_archive())
