"""The first entries of an append-only journal list, read without copying them.

A process keeps an exercise's committed entries in one list that only grows (``service.store``).
A reader at a head wants exactly the entries up to it, even while later ones are appended; copying
them costs what the journal's length costs, at every read. ``Prefix`` is that read as a view: its
length is fixed when it is made, and the entries it shows are the list's first ones, which an
append never changes. A reader that keeps a prefix (the engine's cached run, ``sim_engine.live``)
knows, by ``base``, that the entries it matched before are still the same objects, so it compares
only the new ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import islice
from typing import TypeVar, overload

T = TypeVar("T")


class Prefix(Sequence[T]):
    """The first ``length`` items of ``base``, a list that is only ever appended to."""

    __slots__ = ("_length", "base")

    def __init__(self, base: list[T], length: int | None = None) -> None:
        self.base = base
        self._length = len(base) if length is None else min(length, len(base))

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[T]:
        return islice(self.base, self._length)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            return self.base[start:stop:step]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError("journal prefix index out of range")
        return self.base[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Prefix | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Prefix({self._length} of {len(self.base)})"


class Joined(Sequence[T]):
    """``first`` followed by the first ``count`` items of ``then`` (a list only appended to while
    this view is read): a journal prefix with the entries a write is about to add, without a copy."""

    __slots__ = ("_count", "first", "then")

    def __init__(self, first: Sequence[T], then: list[T], count: int | None = None) -> None:
        self.first, self.then = first, then
        self._count = len(then) if count is None else count

    def __len__(self) -> int:
        return len(self.first) + self._count

    def __iter__(self) -> Iterator[T]:
        yield from self.first
        yield from islice(self.then, self._count)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        split = len(self.first)
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            head = self.first[start:stop] if start < split else []
            return [*head, *self.then[max(start - split, 0) : max(stop - split, 0)]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("journal index out of range")
        return self.first[index] if index < split else self.then[index - split]
