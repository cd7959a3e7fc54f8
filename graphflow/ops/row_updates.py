"""Duplicate-safe row updates: ``target[indices[i]] (ufunc)= updates[i]`` for every i in
order, rows with equal ids all applied — bit for bit what ``ufunc.at`` does — for the
embedding rows of a sparse gradient (ScatterAdd/ScatterSub, the sparse optimizers) and
segment sums. ``RowUpdate`` keeps the work arrays of one concrete updates shape for a plan.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

_ALL = np.logical_and.reduce
#: ``check(indices, rows)``: raises when an index is outside ``[0, rows)``.
BoundsCheck = Callable[[np.ndarray, int], None]
#: ``(constant, constant_first)``: the updates to apply are ``constant * updates`` (or
#: ``updates * constant``), a product the update computes itself (a fused Mul step).
Scale = tuple[Any, bool]


def scaled(values: np.ndarray, scale: Scale, out: np.ndarray | None = None) -> np.ndarray:
    """``constant * values`` (operands in the Mul step's order), into ``out`` if given."""
    constant, first = scale
    return np.multiply(constant, values, out=out) if first else \
        np.multiply(values, constant, out=out)


#: ``update_rows``/``RowUpdate`` apply the first occurrence of every row id with one gather,
#: one ufunc call and one scatter over whole rows, then the second occurrences the same way,
#: and so on for ``_ROUNDS`` rounds; only the repeats left then (or fewer than ``_FEW``) go
#: through ``ufunc.at``, in their original order — so every row sees exactly the operations,
#: in the order, that ``ufunc.at`` over all rows would apply: the result is bit-identical
#: (tests compare). Updates of fewer than ``_SMALL`` elements take the flat path anyway (its
#: few numpy calls beat the rounds' many at, e.g., 160 rows of 50). Off: ``ufunc.at`` over
#: one flat index per element for every row (numpy's 1-D fast path; ~3x slower for 10k rows
#: of 50 floats into a 100k-row matrix).
FAST_ROW_UPDATES = True
#: An update of fewer than ``_SMALL`` elements whose ids are all distinct (sorting a copy
#: shows it; the common case for a batch of 32 windows over a large vocabulary) moves whole
#: rows too: one gather, one ufunc, one scatter — ~2x faster than the flat ``ufunc.at`` for
#: 160 rows of 50 floats, and the same bits (each row is updated once either way). Off:
#: small updates always take the flat path.
SMALL_DISTINCT_ROWS = True
#: ... and, when the caller leaves the bounds check to the row update (``check``), int32 ids
#: are checked by that gather itself (``np.take`` on the ids viewed as uint32, into a fresh
#: array) instead of by a separate reduction first. Off: the separate check.
TAKE_CHECKS_BOUNDS = True
#: The rounds' whole-row read-modify-writes go through the rows in chunks of about
#: ``_CHUNK_BYTES``: a chunk's rows, gathered, are still in the core's cache when they are
#: written back (one pass over 10k rows of 200 bytes in a 20 MB table writes to rows the
#: cache has lost again: ~2.3x slower on this machine). Each row is still read, updated and
#: written once, so the bits are the same. Off: one gather, ufunc and scatter of all rows.
CHUNKED_ROW_UPDATES = True
_CHUNK_BYTES = 1 << 17
#: Many ids get their first-occurrence mask from one sort of int64 keys (id << 32 |
#: position) instead of the vocabulary-sized stamp, whose random writes and reads miss the
#: cache in a step (~0.5 vs ~0.3 ms for 10k ids over 100k rows). Off: the stamp.
SORTED_FIRST_OCCURRENCES = True
_KEY_ROWS, _KEY_POSITIONS, _POSITION_BITS = 1 << 31, 1 << 32, (1 << 32) - 1
_MAX_SKIPPED_CHECKS = 63
_ROUNDS = 3
_FEW = 32
_SORT_MAX = 1024
_SMALL = 32768  # fewer updated elements than this: flat ufunc.at (fewer numpy calls)


_STAMPS = threading.local()  # per thread: {target rows: the stamp array of _first}
_STAMP_SIZES = 8


def _stamp(n_rows: int) -> np.ndarray:
    """A work array of one int per target row, shared by the row updates of one thread
    (one runs at a time there; every entry read is written first, so it needs no reset):
    a plan per batch size does not hold a vocabulary-sized array of its own."""
    by_size = getattr(_STAMPS, "by_size", None)
    if by_size is None:
        by_size = _STAMPS.by_size = {}
    stamp = by_size.get(n_rows)
    if stamp is None:
        if len(by_size) >= _STAMP_SIZES:
            by_size.clear()
        stamp = by_size[n_rows] = np.empty(n_rows, np.intp)
    return stamp


def update_rows(ufunc: Any, target: np.ndarray, indices: np.ndarray, updates: np.ndarray
                ) -> None:
    """``target[indices[i]] = ufunc(target[indices[i]], updates[i])`` for i in order, rows
    with equal indices all applied (as ``ufunc.at(target, indices, updates)``). Indices
    must be in ``[0, target.shape[0])`` (the caller checks them)."""
    full = indices.shape + target.shape[1:]
    RowUpdate(full, target.ndim - 1, lambda shape, dtype: np.empty(shape, dtype))(
        ufunc, target, indices, np.broadcast_to(updates, full))


class RowUpdate:
    """``update_rows`` for one concrete updates shape, with its work arrays made once (a
    plan binds it when shapes are known; ``alloc`` is the kernel context's ``scratch``).
    ``fits(target, updates)`` then ``__call__(ufunc, target, indices, updates[, check])``."""

    def __init__(self, updates_shape: tuple[int, ...], row_ndim: int, alloc: Any) -> None:
        self.shape = tuple(updates_shape)
        self.row_shape = self.shape[len(self.shape) - row_ndim:]
        self.row = int(np.prod(self.row_shape, dtype=np.int64))
        self.n = int(np.prod(self.shape[:len(self.shape) - row_ndim], dtype=np.int64))
        self.alloc = alloc
        self.order = np.arange(self.n, dtype=np.intp)
        self.columns = np.arange(self.row, dtype=np.intp)
        self.index = alloc((self.n,), np.intp)
        self.rows: np.ndarray | None = None  # the gathered rows (target's dtype)
        self.values: np.ndarray | None = None  # the updates of first occurrences
        self.backwards = self.order_backwards = self.order
        self.keys: np.ndarray | None = None  # _first_by_keys's work arrays
        self.key_ids = self.key_starts = self.order
        self.starts: np.ndarray | None = None  # the flat path's work arrays (small updates)
        self.flat: np.ndarray | None = None
        self.sorted: np.ndarray | None = None  # the distinct-ids check's (small updates)
        self.differs: np.ndarray | None = None
        self.neighbours: tuple[np.ndarray, np.ndarray] = (self.order, self.order)
        self.failed_checks = self.skip_checks = 0  # see _check_distinct
        self.small_rows: np.ndarray | None = None  # the distinct path's gathered rows,
        self.row_item = np.dtype(np.void)  # a whole row as one opaque item, and those
        self.row_items: np.ndarray | None = None  # rows viewed as such items

    def fits(self, target: np.ndarray, updates: np.ndarray) -> bool:
        return (updates.shape == self.shape and target.flags.c_contiguous
                and target.shape[1:] == self.row_shape and target.ndim >= 2)

    def __call__(self, ufunc: Any, target: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray, check: BoundsCheck | None = None,
                 scale: Scale | None = None) -> None:
        """``check(indices, rows)`` raises when an id is outside ``[0, rows)``; it runs
        before anything is written (None: the caller checked the ids already). ``scale``:
        apply ``scaled(updates, scale)`` — computed chunk by chunk by the rounds, whole by
        the other paths (an element-wise product: the same bits either way)."""
        n, row = self.n, self.row
        fast = FAST_ROW_UPDATES and n != 0 and row != 0 and updates.dtype == target.dtype \
            and target.dtype.kind in "biufc" and target.flags.c_contiguous
        if scale is not None and (not fast or n * row < _SMALL):
            updates, scale = scaled(updates, scale), None
        if not fast:
            if check is not None:
                check(indices, target.shape[0])
            self._at(ufunc, target, indices.reshape(-1).astype(np.intp, copy=False), updates)
            return
        if n * row < _SMALL:  # few elements: numpy's flat ufunc.at is the fewer calls
            if self.flat is None:
                self.starts = self.alloc((n, 1), np.intp)
                self.flat = self.alloc((n, row), np.intp)
            if SMALL_DISTINCT_ROWS and self._check_distinct() and self._distinct(indices):
                self.failed_checks = self.skip_checks = 0
                self._whole_rows(ufunc, target, indices, updates, check)
                return
            if check is not None:
                check(indices, target.shape[0])
            np.multiply(indices.reshape(-1, 1), row, out=self.starts, casting="unsafe")
            np.add(self.starts, self.columns, out=self.flat)
            ufunc.at(target.reshape(-1), self.flat.reshape(-1), updates.reshape(-1))
            return
        if check is not None:
            check(indices, target.shape[0])
        idx = self.index
        np.copyto(idx, indices.reshape(-1), casting="unsafe")
        values = np.ascontiguousarray(updates).reshape(n, row)
        if self.rows is None or self.rows.dtype != target.dtype:
            self.rows = self.alloc((n, row), target.dtype)
            self.values = self.alloc((n, row), target.dtype)
        # Whole rows move as one opaque item each (a void view: one memcpy per row, not a
        # loop over its elements); the arithmetic runs on the typed arrays.
        item = np.dtype((np.void, row * target.dtype.itemsize))
        table = target.reshape(target.shape[0], row).view(item).reshape(-1)
        # Round k applies the k-th occurrence of every id still left (first occurrences
        # are unique ids: one read-modify-write of whole rows); the few repeats left after
        # _ROUNDS rounds go through ufunc.at, still in their order.
        ids, positions = idx, None
        for _ in range(_ROUNDS):
            first = self._first(ids, target.shape[0], positions is None)
            if first is None:
                self._rows(ufunc, table, item, values, ids, positions, scale)
                return
            sel = np.flatnonzero(first)
            self._rows(ufunc, table, item, values, ids[sel],
                       sel if positions is None else positions[sel], scale)
            rest = np.flatnonzero(~first)
            ids, positions = ids[rest], rest if positions is None else positions[rest]
            if ids.size < _FEW:
                break
        self._at(ufunc, target, idx, values, positions, scale)

    def _check_distinct(self) -> bool:
        """Whether to look for repeated ids in this call: after k checks in a row found
        repeats (a corpus whose batches always repeat ids: padding, frequent words), the next
        2^(k-1) - 1 calls (at most 63) go straight to the flat path. Both paths give the same
        bits; this only spares a check that keeps failing."""
        if self.skip_checks:
            self.skip_checks -= 1
            return False
        # reset by a check that finds the ids distinct; capped where the skip is
        self.failed_checks = min(self.failed_checks + 1, _MAX_SKIPPED_CHECKS.bit_length() + 1)
        self.skip_checks = min((1 << (self.failed_checks - 1)) - 1, _MAX_SKIPPED_CHECKS)
        return True

    def _distinct(self, indices: np.ndarray) -> bool:
        """Whether no id repeats: a sorted copy (in the ids' own dtype) has no two equal
        neighbours."""
        flat = indices.reshape(-1)
        ordered = self.sorted
        if ordered is None or ordered.dtype != flat.dtype:
            ordered = self.sorted = self.alloc((self.n,), flat.dtype)
            self.differs = self.alloc((max(self.n - 1, 0),), bool)
            self.neighbours = (ordered[1:], ordered[:-1])
        np.copyto(ordered, flat)
        ordered.sort()
        later, earlier = self.neighbours
        return bool(_ALL(np.not_equal(later, earlier, out=self.differs)))

    def _whole_rows(self, ufunc: Any, target: np.ndarray, indices: np.ndarray,
                    updates: np.ndarray, check: BoundsCheck | None) -> None:
        """The update of distinct ids: one gather, ufunc and scatter of whole rows — what
        ``ufunc.at`` does to each row, as each row is updated once. With int32 ids still to
        check, numpy's ``take`` checks them while it gathers (viewed as uint32, a negative
        id is out of bounds too) into a fresh array, before anything is written."""
        rows = self.small_rows
        if rows is None or rows.dtype != target.dtype:
            rows = self.small_rows = self.alloc((self.n, self.row), target.dtype)
            self.row_item = np.dtype((np.void, self.row * target.dtype.itemsize))
            self.row_items = rows.view(self.row_item).reshape(-1)
        table = target.reshape(target.shape[0], self.row).view(self.row_item).reshape(-1)
        flat = indices.reshape(-1)
        if check is None:
            items = self.row_items
            table.take(flat, out=items, mode="clip")
        elif TAKE_CHECKS_BOUNDS and flat.dtype == np.int32:
            try:
                items = table.take(flat.view(np.uint32))
            except IndexError:
                check(indices, target.shape[0])  # raises the caller's error
                raise
            rows = items.view(target.dtype).reshape(self.n, self.row)
        else:
            check(indices, target.shape[0])
            items = self.row_items
            table.take(flat, out=items, mode="clip")
        ufunc(rows, updates.reshape(self.n, self.row), out=rows)
        table.put(flat, items, mode="clip")  # the methods: no np.take/np.put wrapper frames

    def _rows(self, ufunc: Any, table: np.ndarray, item: np.dtype, values: np.ndarray,
              ids: np.ndarray, positions: np.ndarray | None, scale: Scale | None) -> None:
        """table[ids[i]] = ufunc(table[ids[i]], values[positions[i]]) for distinct ids
        (the values scaled first, a chunk at a time, with ``scale``)."""
        k = ids.size
        step = k
        if CHUNKED_ROW_UPDATES:
            step = max(_CHUNK_BYTES // max(table.itemsize, 1), 1)
        rows, value_items = self.rows, values.view(item).reshape(-1)
        for start in range(0, k, step):
            part = ids[start:start + step]
            g = rows[:part.size]  # type: ignore[index]
            items = g.view(item).reshape(-1)
            table.take(part, out=items, mode="clip")
            if positions is None:
                v = values[start:start + part.size]
                if scale is not None:
                    v = scaled(v, scale, self.values[:part.size])  # type: ignore[index]
            else:
                v = self.values[:part.size]  # type: ignore[index]
                value_items.take(positions[start:start + step],
                                 out=v.view(item).reshape(-1), mode="clip")
                if scale is not None:
                    scaled(v, scale, v)
            ufunc(g, v, out=g)
            table.put(part, items, mode="clip")

    def _first(self, idx: np.ndarray, n_rows: int, whole: bool = True) -> np.ndarray | None:
        """A mask of the first occurrence of each id in ``idx`` (None: no id repeats);
        ``whole``: idx is all of this update's ids (the precomputed orders fit). Few ids are
        sorted (a stable sort keeps each id's first position first); many as int64 keys
        (``_first_by_keys``) or, with that off, stamped into a per-row array."""
        if idx.size <= _SORT_MAX:
            order = np.argsort(idx, kind="stable")
            ordered = idx[order]
            starts = ordered[1:] != ordered[:-1]
            if starts.all():
                return None
            first = np.zeros(idx.size, dtype=bool)
            first[order[0]] = True
            first[order[1:][starts]] = True
            return first
        if SORTED_FIRST_OCCURRENCES and n_rows <= _KEY_ROWS and idx.size <= _KEY_POSITIONS:
            return self._first_by_keys(idx)
        stamp = _stamp(n_rows)
        if whole:
            if self.backwards is self.order:
                self.backwards = self.alloc((self.n,), np.intp)
                self.order_backwards = self.order[::-1].copy()
            order = self.order
            self._claim(stamp, idx)
        else:
            order = np.arange(idx.size, dtype=np.intp)
            stamp[idx[::-1].copy()] = order[::-1].copy()
        # Repeated fancy assignments apply in order (the last write wins): writing the
        # positions backwards leaves each id's first position. Checked below all the same.
        winner = stamp[idx]
        first = winner == order
        if first.all():
            return None
        repeats = np.flatnonzero(~first)
        if not (winner[repeats] < repeats).all():  # not the first position: exact minimum
            stamp[idx] = idx.size
            np.minimum.at(stamp, idx, order)
            first = stamp[idx] == order
        return first

    def _first_by_keys(self, idx: np.ndarray) -> np.ndarray | None:
        """``_first`` by one sort of int64 keys ``id << 32 | position``: sorted, each id's
        keys are together and its first position comes first (exact, whatever order numpy
        applies repeated assignments in)."""
        n = idx.size
        if self.keys is None:
            self.keys = self.alloc((self.n,), np.int64)
            self.key_ids = self.alloc((self.n,), np.int64)
            self.key_starts = self.alloc((max(self.n - 1, 0),), bool)
        keys, ids, starts = self.keys[:n], self.key_ids[:n], self.key_starts[:max(n - 1, 0)]
        np.copyto(keys, idx, casting="unsafe")
        keys <<= 32
        keys |= self.order[:n]
        keys.sort()
        np.right_shift(keys, 32, out=ids)
        np.not_equal(ids[1:], ids[:-1], out=starts)
        if _ALL(starts):
            return None
        positions = keys[1:][starts]
        positions &= _POSITION_BITS
        first = np.zeros(n, dtype=bool)
        first[keys[0] & _POSITION_BITS] = True
        first[positions] = True
        return first

    def _claim(self, stamp: np.ndarray, idx: np.ndarray) -> None:
        """stamp[idx[i]] = i for every i, written from the last position to the first."""
        np.copyto(self.backwards, idx[::-1])
        stamp[self.backwards] = self.order_backwards

    def _at(self, ufunc: Any, target: np.ndarray, idx: np.ndarray, updates: np.ndarray,
            positions: np.ndarray | None = None, scale: Scale | None = None) -> None:
        """``ufunc.at`` of the rows at ``positions`` (ascending; None: all), one flat index
        per element when the target is contiguous (numpy's 1-D fast path)."""
        rows = updates.reshape((self.n,) + self.row_shape)
        if positions is not None:
            idx, rows = idx[positions], rows[positions]
        if scale is not None:
            rows = scaled(rows, scale)
        if not target.flags.c_contiguous or target.ndim < 2:
            ufunc.at(target, idx, rows)
            return
        flat = (idx * self.row)[:, None] + self.columns
        ufunc.at(target.reshape(-1), flat.reshape(-1), rows.reshape(-1))
