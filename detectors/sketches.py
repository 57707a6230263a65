"""Small fixed-size sketches: stable hashes, a rotating Bloom filter, a ring of recent ids."""

from __future__ import annotations

from hashlib import blake2b

__all__ = ["stable_hash64", "RotatingBloom", "RecentIds"]


def _digest8(text: str) -> bytes:
    """8-byte BLAKE2b digest of ``text``: stable across processes (unlike ``hash()``)."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def stable_hash64(text: str) -> int:
    """64-bit hash of ``text``, the same in every process (unlike ``hash()``).

    >>> stable_hash64("a@example.com") == stable_hash64("a@example.com")
    True
    """
    return int.from_bytes(_digest8(text), "little")


class RotatingBloom:
    """Set membership over the recent past in fixed memory.

    Two Bloom filters, each sized for ``capacity`` items at about 1 % false
    positives; when the current one has taken ``capacity`` items, it becomes the
    previous one and a fresh one starts. An item is known while it is in either,
    so at least the last ``capacity`` distinct items are remembered, and memory is
    fixed at ``2 * capacity * bits_per_item / 8`` bytes (5 KiB for the default).
    False positives make a new item look known (never the reverse).

    >>> b = RotatingBloom(capacity=100)
    >>> b.add("x"), b.add("x"), "x" in b, "y" in b
    (True, False, True, False)
    """

    __slots__ = ("capacity", "bits_per_item", "n_hashes", "_m", "_cur", "_prev", "_count")

    def __init__(self, capacity: int = 2048, bits_per_item: int = 10, n_hashes: int = 6) -> None:
        self.capacity = capacity
        self.bits_per_item = bits_per_item
        self.n_hashes = n_hashes
        self._m = max(64, capacity * bits_per_item)
        self._cur = bytearray((self._m + 7) // 8)
        self._prev: bytearray | None = None
        self._count = 0

    def _positions(self, item: str) -> list[int]:
        h = stable_hash64(item)
        h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
        m = self._m
        return [(h1 + i * h2) % m for i in range(self.n_hashes)]

    @staticmethod
    def _has(bits: bytearray, pos: list[int]) -> bool:
        for p in pos:
            if not bits[p >> 3] & (1 << (p & 7)):
                return False
        return True

    def __contains__(self, item: str) -> bool:
        pos = self._positions(item)
        return self._has(self._cur, pos) or (self._prev is not None and self._has(self._prev, pos))

    def add(self, item: str) -> bool:
        """Add ``item``; return True when it was not known before."""
        pos = self._positions(item)
        if self._has(self._cur, pos):
            return False
        known = self._prev is not None and self._has(self._prev, pos)
        if self._count >= self.capacity:
            self._prev, self._cur, self._count = self._cur, bytearray(len(self._cur)), 0
        bits = self._cur
        for p in pos:
            bits[p >> 3] |= 1 << (p & 7)
        self._count += 1
        return not known

    def nbytes(self) -> int:
        return len(self._cur) + (len(self._prev) if self._prev is not None else 0)

    def __getstate__(self):
        return (self.capacity, self.bits_per_item, self.n_hashes, self._m, bytes(self._cur),
                None if self._prev is None else bytes(self._prev), self._count)

    def __setstate__(self, s):
        self.capacity, self.bits_per_item, self.n_hashes, self._m, cur, prev, self._count = s
        self._cur = bytearray(cur)
        self._prev = None if prev is None else bytearray(prev)


class RecentIds:
    """The last ``size`` ids seen, for exact duplicate checks.

    Ids are kept as given while in memory (a dict lookup per check) and pickled as
    64-bit hashes (``8 * size`` bytes, oldest first); after unpickling, the restored
    hashes are checked by hashing each new id until newer ids have pushed them all
    out. Memory: at most ``size`` ids.

    >>> r = RecentIds(size=2)
    >>> r.seen_or_add("a"), r.seen_or_add("a"), r.seen_or_add("b"), r.seen_or_add("c"), r.seen_or_add("a")
    (False, True, False, False, False)
    >>> import pickle
    >>> back = pickle.loads(pickle.dumps(r))
    >>> back.seen_or_add("c"), back.seen_or_add("b"), len(back)
    (True, False, 2)
    """

    __slots__ = ("size", "_ids", "_old")

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._ids: dict[str, None] = {}  # insertion order = age
        self._old: dict[bytes, None] = {}  # hashes restored from a pickle, older than every id in _ids

    def seen_or_add(self, ident: str) -> bool:
        """True when ``ident`` is among the last ``size`` ids; else remember it (forgetting the oldest)."""
        ids = self._ids
        if ident in ids:
            return True
        old = self._old
        if old and _digest8(ident) in old:
            return True
        ids[ident] = None
        if len(ids) + len(old) > self.size:
            if old:
                del old[next(iter(old))]
            else:
                del ids[next(iter(ids))]
        return False

    def __len__(self) -> int:
        return len(self._ids) + len(self._old)

    def __getstate__(self):
        return (self.size, b"".join(self._old) + b"".join([_digest8(i) for i in self._ids]), 0)

    def __setstate__(self, s):
        self.size, raw, i = s  # raw: 8-byte hashes in a ring whose oldest entry starts at i
        raw = bytes(raw[i:] + raw[:i])
        self._ids = {}
        self._old = dict.fromkeys(raw[j : j + 8] for j in range(0, len(raw) - 7, 8))
