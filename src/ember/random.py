"""Random number generation: ``Generator``, ``manual_seed`` and the sampling routines.

Every random number in Ember comes from one counter-based stream, Philox4x32-10 keyed by a
generator's 64-bit seed. A generator's whole state is ``(seed, offset)``: each call takes
the next block range of the stream and advances the offset, so a result is a pure function
of (seed, offset, element index). That is what lets dropout rebuild a mask in backward
instead of storing it, and gives the same numbers whatever the thread count.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np

from ember.backend import get_backend
from ember.tensor import Tensor

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # PyTorch's default seed, so fresh processes start alike
_MASK64 = (1 << 64) - 1


class Generator:
    """A source of random numbers with state ``(seed, offset)``; mirrors ``torch.Generator``.

    Its numbers are the Philox4x32-10 stream of its seed; each random call takes the next
    range of the stream and moves the offset past it.

    Args:
        device (str or ember.device): only ``'cpu'``.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> a = ember.rand(3, generator=g)
        >>> ember.equal(a, ember.rand(3, generator=ember.Generator().manual_seed(0)))
        True
    """

    def __init__(self, device="cpu") -> None:
        self._device = get_backend(device).device
        self._seed = _DEFAULT_SEED
        self._offset = 0

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed) -> Generator:
        """Sets the seed (any int; negative values wrap as in PyTorch) and resets the offset."""
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"Overflow when unpacking long long: seed {seed} out of range")
        self._seed = seed & _MASK64
        self._offset = 0
        return self

    def seed(self) -> int:
        """Seeds from the operating system's entropy and returns the seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        """The seed last set."""
        return self._seed

    def get_offset(self) -> int:
        """How many 128-bit Philox blocks have been consumed since seeding."""
        return self._offset

    def set_offset(self, offset: int) -> None:
        """Moves the stream position (in 128-bit blocks)."""
        self._offset = int(offset) & _MASK64

    def get_state(self):
        """The state as a 16-byte uint8 tensor: seed then offset, little-endian."""
        raw = self._seed.to_bytes(8, "little") + self._offset.to_bytes(8, "little")
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> Generator:
        """Restores a state returned by :meth:`get_state`."""
        arr = np.asarray(getattr(new_state, "_data", new_state))
        if arr.dtype != np.uint8 or arr.size != 16:
            raise RuntimeError(
                "Expected a 16-byte ember.uint8 tensor as the generator state (seed, offset)"
            )
        raw = arr.tobytes()
        self._seed = int.from_bytes(raw[:8], "little")
        self._offset = int.from_bytes(raw[8:], "little")
        return self

    def take(self, n_words: int) -> tuple[int, int]:
        """Reserves the stream range for ``n_words`` 32-bit words; returns ``(seed, offset)``.

        A Philox block holds 4 words, so this reserves ``ceil(n_words / 4)`` blocks.
        """
        n_words = int(n_words)
        if n_words < 0:
            raise ValueError(f"word count must be non-negative, got {n_words}")
        return self.take_blocks((n_words + 3) // 4)

    def take_blocks(self, n_blocks: int) -> tuple[int, int]:
        """Reserves ``n_blocks`` Philox blocks of the stream; returns ``(seed, offset)``.

        Dropout reserves ``blocks_for_decisions(n)`` blocks (one byte per decision).
        """
        n_blocks = int(n_blocks)
        if n_blocks < 0:
            raise ValueError(f"block count must be non-negative, got {n_blocks}")
        offset = self._offset
        self._offset = (offset + n_blocks) & _MASK64
        return self._seed, offset

    def __repr__(self) -> str:
        return f"<ember.Generator seed={self._seed} offset={self._offset}>"


default_generator = Generator()


_KERNELS: dict[tuple[str, str], ModuleType] = {}


def _kernels(device, family: str) -> ModuleType:
    """The kernel module ``family`` of ``device``'s backend, memoised (the backend imports it
    by name: 1-5 us a lookup)."""
    kernels = _KERNELS.get((device.type, family))
    if kernels is None:
        kernels = _KERNELS[device.type, family] = get_backend(device).kernels(family)
    return kernels


def _gen(generator: Generator | None) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ember.Generator, not {type(generator).__name__}")
    return generator


def manual_seed(seed) -> Generator:
    """Seeds the default generator, so that the random numbers that follow repeat.

    Args:
        seed (int): any integer in ``[-2**63, 2**64)``; negative seeds wrap as in torch.

    Returns:
        Generator: the default generator.

    Example:
        >>> _ = ember.manual_seed(7)
        >>> a = ember.rand(2)
        >>> _ = ember.manual_seed(7)
        >>> ember.equal(a, ember.rand(2))
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seeds the default generator from the operating system's entropy.

    Returns:
        int: the seed chosen (non-negative, below ``2**63``).

    Example:
        >>> s = ember.seed()
        >>> ember.initial_seed() == s
        True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last given.

    Returns:
        int: the seed (a negative seed shows as its 64-bit unsigned value).

    Example:
        >>> _ = ember.manual_seed(3)
        >>> ember.initial_seed()
        3
    """
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state: its seed and its position in the stream.

    Returns:
        Tensor: 16 ``uint8`` bytes, the seed then the offset, little-endian (see
        :meth:`Generator.get_state`).

    Example:
        >>> state = ember.get_rng_state()
        >>> a = ember.rand(2)
        >>> ember.set_rng_state(state)
        >>> ember.equal(a, ember.rand(2))
        True
    """
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    """Restores the default generator to a state from :func:`get_rng_state`.

    Args:
        new_state (Tensor): the 16-byte ``uint8`` state.

    Returns:
        None

    Example:
        >>> state = ember.get_rng_state()
        >>> a = ember.randn(3)
        >>> ember.set_rng_state(state)
        >>> ember.equal(a, ember.randn(3))
        True
    """
    default_generator.set_state(new_state)


class fork_rng:
    """A context manager that gives the default generator back its state on exit.

    Random calls inside the block do not change the numbers drawn after it.

    Args:
        devices (optional): accepted for torch's signature (only the CPU generator exists).
        enabled (bool): when False, the state is left as the block leaves it.

    Example:
        >>> state = ember.get_rng_state()
        >>> with ember.random.fork_rng():
        ...     _ = ember.rand(5)
        >>> ember.equal(ember.get_rng_state(), state)
        True
    """

    def __init__(self, devices=None, enabled: bool = True) -> None:
        self.enabled = enabled

    def __enter__(self):
        self._state = get_rng_state()

    def __exit__(self, *exc):
        if self.enabled:
            set_rng_state(self._state)


# -- array-level sampling (used by the Tensor-level functions in ember.ops.creation) ------

def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def words(n: int, generator: Generator | None = None) -> np.ndarray:
    """``n`` raw 32-bit words from the generator's stream."""
    gen = _gen(generator)
    s, off = gen.take(n)
    return _kernels(gen.device, "philox").random_words(s, off, n)


def uniform_array(shape, dtype, low=0.0, high=1.0, generator=None) -> np.ndarray:
    """Uniform samples on ``[low, high)`` in ``dtype`` (float32 from 24 bits, float64 from 53)."""
    dtype = np.dtype(dtype)
    n = _numel(shape)
    sample_dtype = np.float64 if dtype == np.float64 else np.float32
    per = 2 if sample_dtype == np.float64 else 1
    gen = _gen(generator)
    s, off = gen.take(n * per)
    u = _kernels(gen.device, "philox").uniform(s, off, n, sample_dtype).reshape(shape)
    if low != 0.0 or high != 1.0:
        u = (u * sample_dtype(high - low) + sample_dtype(low)).astype(sample_dtype, copy=False)
    return u.astype(dtype, copy=False)


#: Pairs per chunk of ``normal_array``: a chunk's float64 temporaries (about 40 bytes a pair)
#: stay in the L2 cache, and its uniforms (two words each, fewer than the kernels'
#: ``PARALLEL_THRESHOLD``) come from the serial kernels, which threads may call at once (two
#: threads must never launch parallel kernels at once: Numba's workqueue layer aborts).
_NORMAL_CHUNK = 1 << 13


def normal_array(shape, dtype, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    """Normal samples by the Box-Muller transform (computed in float64, then cast).

    ``n`` samples take ``pairs = ceil(n / 2)`` pairs of float64 uniforms ``u``: pair ``k``
    turns ``r = sqrt(-2 log(1 - u[k]))`` and ``theta = 2 pi u[pairs + k]`` into samples ``2k``
    (``r cos theta``) and ``2k + 1`` (``r sin theta``), each then ``* std + mean`` and rounded
    to ``dtype``. The work runs in cache-sized chunks, split over the kernel threads (NumPy's
    ufuncs run outside the interpreter lock); the values do not depend on the chunking.
    """
    n = _numel(shape)
    pairs = (n + 1) // 2
    gen = _gen(generator)
    seed, offset = gen.take(4 * pairs)
    kernels = _kernels(gen.device, "philox")
    threads = _kernels(gen.device, "threads")
    out = np.empty(shape, dtype=dtype)
    flat = out.reshape(-1)  # an odd n drops the sine of the last pair

    def fill(first: int, last: int) -> None:
        for a in range(first, last, _NORMAL_CHUNK):
            b = min(a + _NORMAL_CHUNK, last)
            u1 = _uniform_slice(kernels, seed, offset, a, b)
            np.subtract(1.0, u1, out=u1)  # in (0, 1], so the log is finite
            theta = _uniform_slice(kernels, seed, offset, pairs + a, pairs + b)
            theta *= 2.0 * np.pi
            r = np.log(u1, out=u1)
            r *= -2.0
            np.sqrt(r, out=r)
            z = np.cos(theta)
            z *= r
            z *= std
            z += mean
            flat[2 * a:2 * b:2] = z
            z = np.sin(theta, out=theta)
            z *= r
            z *= std
            z += mean
            odd = flat[2 * a + 1:2 * b:2]
            odd[...] = z[:odd.size]

    parts = threads.get_num_threads() if pairs >= 4 * _NORMAL_CHUNK else 1
    threads.run_split(fill, pairs, parts)
    return out


def _uniform_slice(kernels, seed: int, offset: int, i: int, j: int) -> np.ndarray:
    """Float64 uniforms ``i .. j-1`` of the stream from block ``offset`` (two per block)."""
    u = kernels.uniform(seed, offset + i // 2, j - i + i % 2, np.float64)
    return u[i % 2:]


def randint_array(low: int, high: int, shape, generator=None) -> np.ndarray:
    """Uniform integers on ``[low, high)`` as int64 (64-bit draw modulo the range)."""
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    n = _numel(shape)
    w = words(2 * n, generator).astype(np.uint64)
    r = (w[0::2] << np.uint64(32)) | w[1::2]
    span = np.uint64(high - low)
    return ((r % span).astype(np.int64) + low).reshape(shape)


def default_random_upper(dtype) -> int:
    """The exclusive upper bound ``random_()`` uses with no arguments for a dtype."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":  # every integer in [0, 2**digits] is exact (digits = nmant + 1)
        return 2 ** (np.finfo(dtype).nmant + 1) + 1
    if dtype == np.bool_:
        return 2
    return int(np.iinfo(dtype).max) + 1


def bernoulli_array(shape, p, generator=None) -> np.ndarray:
    """0/1 samples with probability ``p`` (a number or an array broadcast to ``shape``)."""
    u = uniform_array(shape, np.float64, 0.0, 1.0, generator)
    return u < np.asarray(p, dtype=np.float64)


def permutation_array(n: int, generator=None) -> np.ndarray:
    """A random permutation of ``range(n)``: the stable argsort of 64-bit random keys."""
    w = words(2 * n, generator).astype(np.uint64)
    keys = (w[0::2] << np.uint64(32)) | w[1::2]
    return _stable_argsort_u64(keys)


def _stable_argsort_u64(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of a 1-D uint64 array, as int64, through a value sort.

    Each key's low ``b`` bits (``2**b >= n``) are replaced by its index and the results sorted
    as plain integers (NumPy's value sort of uint64 is several times faster than its argsort).
    That orders by the keys' high bits, then by index; the rare runs of keys that share their
    high bits are then put in the exact order, by whole key then index (random keys have
    about ``n**2 / 2**(65 - b)`` such pairs; many more go to NumPy's stable argsort).
    """
    n = keys.size
    if n < 2:
        return np.arange(n, dtype=np.int64)
    low = (np.uint64(1) << np.uint64((n - 1).bit_length())) - np.uint64(1)
    packed = keys & ~low
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    tied = np.flatnonzero((packed[1:] ^ packed[:-1]) <= low)  # same high bits as the next
    if tied.size > 1024:
        return np.argsort(keys, kind="stable").astype(np.int64)
    order = (packed & low).view(np.int64)
    if tied.size:
        starts = tied[np.r_[True, tied[1:] != tied[:-1] + 1]]
        ends = tied[np.r_[tied[1:] != tied[:-1] + 1, True]] + 2
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            run = order[a:b]
            order[a:b] = run[np.lexsort((run, keys[run]))]
    return order
