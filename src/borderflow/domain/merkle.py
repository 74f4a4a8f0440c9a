"""Merkle tree hashes and proofs exactly as RFC 9162 (Certificate Transparency v2) §2.1 defines them.

Leaf hash = SHA-256(0x00 || leaf), node = SHA-256(0x01 || left || right), and a tree of n leaves
splits at the largest power of two below n, so any size (not only powers of two) has one root.
Following the RFC to the byte means an auditor can check our proofs with any CT library.

The proof builders never see the leaves: they ask `mth(start, end)` for the hash of a range, so
the store can answer from cached complete subtrees and a test or the verifier from memory
(`MemoryTree`). Every range they ask for is either a complete, aligned subtree or one that
ends at the tree's right edge (`range_hash` reduces the latter to the former).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

MTH = Callable[[int, int], bytes]  # hash of leaves [start, end)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The largest power of two strictly below `size` (size ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def range_hash(start: int, end: int, complete: Callable[[int, int], bytes]) -> bytes:
    """MTH of leaves [start, end) from complete subtrees: `complete(level, index)` is the hash of
    the 2**level leaves from index * 2**level on."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return complete(size.bit_length() - 1, start // size)
    k = split(size)
    return node_hash(range_hash(start, start + k, complete), range_hash(start + k, end, complete))


def inclusion_proof(index: int, size: int, mth: MTH) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, the sibling nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    siblings, start, end = [], 0, size
    while end - start > 1:
        k = split(end - start)
        if index - start < k:
            siblings.append(mth(start + k, end))
            end = start + k
        else:
            siblings.append(mth(start, start + k))
            start += k
    return siblings[::-1]


def consistency_proof(old_size: int, new_size: int, mth: MTH) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1: the tree of old_size is a prefix of this one."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    proof, start, end, whole = [], 0, new_size, True
    while True:
        size, m = end - start, old_size - start
        if m == size:
            if not whole:
                proof.append(mth(start, end))
            break
        k = split(size)
        if m <= k:
            proof.append(mth(start + k, end))
            end = start + k
        else:
            proof.append(mth(start, start + k))
            start, whole = start + k, False
    return proof[::-1]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `leaf` (a leaf hash) sit at `index` of the tree with this root?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: is the tree of old_size with old_root a prefix of the one with new_root?"""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class MemoryTree:
    """Leaf hashes in memory, complete subtrees remembered once computed: for the verifier and tests."""

    def __init__(self, leaves: Sequence[bytes] = ()):
        self.leaves = list(leaves)
        self._complete: dict[tuple[int, int], bytes] = {}

    def append(self, leaf: bytes) -> None:
        self.leaves.append(leaf)

    def complete(self, level: int, index: int) -> bytes:
        if level == 0:
            return self.leaves[index]
        key = (level, index)
        if key not in self._complete:
            self._complete[key] = node_hash(self.complete(level - 1, 2 * index), self.complete(level - 1, 2 * index + 1))
        return self._complete[key]

    def mth(self, start: int, end: int) -> bytes:
        return range_hash(start, end, self.complete)

    def root(self, size: int | None = None) -> bytes:
        return self.mth(0, len(self.leaves) if size is None else size)
