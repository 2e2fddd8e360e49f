"""Embedding: a lookup table of learned vectors."""

from __future__ import annotations

from ember import ops
from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.tensor import Tensor

__all__ = ["Embedding"]


class Embedding(Module):
    """A lookup table of ``num_embeddings`` learned vectors of size ``embedding_dim``: an input of
    integer indices returns the rows of ``weight`` at those indices (often word embeddings).

    Args:
        num_embeddings: the number of rows in the table (the vocabulary size).
        embedding_dim: the size of each vector.
        padding_idx: a row that is initialised to zeros and receives no gradient, so it stays a
            fixed padding vector; negative values count from the end. Default: ``None``.
        max_norm: when set, every looked-up row whose ``norm_type``-norm exceeds it is rescaled
            in place to norm ``max_norm`` (this modifies ``weight``). Default: ``None``.
        norm_type: the ``p`` of the p-norm used with ``max_norm``. Default: ``2.0``.
        scale_grad_by_freq: divide each row's gradient by how often it appears in the batch.
            Default: ``False``.
        sparse: accepted for compatibility with PyTorch; the gradient of ``weight`` is always
            dense in Ember. Default: ``False``.
        device: the device of the table (Ember computes on the ``'cpu'``). Default: ``None``.
        dtype: the dtype of the table. Default: ``None`` (the default dtype).

    Attributes:
        weight (Tensor): the table, shape ``(num_embeddings, embedding_dim)``, drawn from
            ``N(0, 1)`` (its ``padding_idx`` row zero).

    Shape:
        - Input: ``(*)``, integer indices (int32 or int64) in ``[0, num_embeddings)``.
        - Output: ``(*, embedding_dim)``.

    Example:
        >>> emb = nn.Embedding(10, 3, padding_idx=0)
        >>> emb(ember.tensor([[0, 2], [4, 9]])).shape
        ember.Size([2, 2, 3])
        >>> emb(ember.tensor([0])).detach()
        tensor([[0., 0., 0.]])
        >>> table = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> nn.Embedding.from_pretrained(table)(ember.tensor([1]))
        tensor([[3., 4.]])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False,
                 _weight: Tensor | None = None, _freeze: bool = False, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, "Padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, \
                    "Padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(ops.empty(num_embeddings, embedding_dim, dtype=dtype,
                                              device=device), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            assert list(_weight.shape) == [num_embeddings, embedding_dim], \
                "Shape of weight does not match num_embeddings and embedding_dim"
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """Draws the table from N(0, 1) and zeroes the padding row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding whose table is ``embeddings`` (2-D; shares its memory).

        Args:
            embeddings: ``(num_embeddings, embedding_dim)``.
            freeze: the table does not require grad (as ``weight.requires_grad = False``).
        """
        assert embeddings.dim() == 2, "Embeddings parameter is expected to be 2-dimensional"
        rows, cols = embeddings.shape
        return cls(num_embeddings=rows, embedding_dim=cols, _weight=embeddings, _freeze=freeze,
                   padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)
