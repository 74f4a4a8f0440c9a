"""The Merkle tree is RFC 9162's to the byte: reference roots and proofs, and proofs that fail when anything changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain import merkle

# The Certificate Transparency reference inputs and the roots every implementation agrees on.
CT_LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f")]
CT_ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
CT_PATH_0_OF_8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]


def tree_of(n: int) -> merkle.MemoryTree:
    return merkle.MemoryTree([merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)])


def test_roots_match_the_certificate_transparency_reference_for_every_size():
    tree = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in CT_LEAVES])
    assert [tree.root(size).hex() for size in range(9)] == CT_ROOTS


def test_an_inclusion_proof_matches_the_reference_path():
    tree = merkle.MemoryTree([merkle.leaf_hash(leaf) for leaf in CT_LEAVES])
    assert [p.hex() for p in merkle.inclusion_proof(0, 8, tree.mth)] == CT_PATH_0_OF_8


sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=sizes)
def test_every_inclusion_proof_verifies_and_any_other_leaf_or_index_fails(data, size):
    tree = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, size, tree.mth)
    root = tree.root()
    assert merkle.verify_inclusion(tree.leaves[index], index, size, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, proof, root)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index)) if size > 1 else None
    if other is not None:
        assert not merkle.verify_inclusion(tree.leaves[index], other, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=sizes)
def test_a_changed_proof_hash_fails_inclusion(data, size):
    tree = tree_of(size)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, size, tree.mth)
    if not proof:
        return
    at = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    changed = list(proof)
    changed[at] = bytes([proof[at][0] ^ (1 + bit % 255)]) + proof[at][1:]
    assert not merkle.verify_inclusion(tree.leaves[index], index, size, changed, tree.root())
    assert not merkle.verify_inclusion(tree.leaves[index], index, size, proof[:-1], tree.root())


@settings(max_examples=150, deadline=None)
@given(data=st.data(), new_size=sizes)
def test_every_consistency_proof_verifies_and_a_rewritten_history_fails(data, new_size):
    old_size = data.draw(st.integers(1, new_size))
    tree = tree_of(new_size)
    proof = merkle.consistency_proof(old_size, new_size, tree.mth)
    old_root, new_root = tree.root(old_size), tree.root()
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    # One leaf of the old tree changed, everything recomputed: the new root no longer extends the old one.
    forged = tree_of(new_size)
    changed = data.draw(st.integers(0, old_size - 1))
    forged.leaves[changed] = merkle.leaf_hash(b"rewritten")
    forged_proof = merkle.consistency_proof(old_size, new_size, forged.mth)
    assert not merkle.verify_consistency(old_size, new_size, old_root, forged.root(), forged_proof)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[at] = merkle.leaf_hash(bad[at])
        assert not merkle.verify_consistency(old_size, new_size, old_root, new_root, bad)


def test_a_tree_is_consistent_only_with_itself_at_the_same_size():
    tree = tree_of(5)
    assert merkle.verify_consistency(5, 5, tree.root(), tree.root(), [])
    assert not merkle.verify_consistency(5, 5, tree.root(), tree.root(4), [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, tree.root(), [])


def test_ranges_at_the_right_edge_reduce_to_complete_subtrees():
    tree = tree_of(37)
    asked = []

    def complete(level, index):
        asked.append((level, index))
        return tree.complete(level, index)

    assert merkle.range_hash(0, 37, complete) == tree.root()
    assert asked == [(5, 0), (2, 8), (0, 36)]
