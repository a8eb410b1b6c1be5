"""Known answers: the RFC 6962 reference vectors (as published by transparency-dev/merkle)."""

from __future__ import annotations

import hashlib

import pytest

from broker.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.merkle.reference import ref_mth

DATA = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
LEAVES = [leaf_hash(d) for d in DATA]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]


def h(hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes.split()]


# (leaf index, tree size, proof)
INCLUSION = [
    (0, 1, []),
    (0, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 "
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (5, 8, h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b "
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 "
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (1, 5, h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d "
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
]

# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (1, 8, h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 "
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
    (6, 8, h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a "
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0 "
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
    (2, 5, h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
    (6, 7, h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a "
             "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f "
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def test_hash_definitions() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT == ROOTS[0]
    assert leaf_hash(b"") == ROOTS[1] == hashlib.sha256(b"\x00").digest()
    by_hand = hashlib.sha256(b"\x01" + LEAVES[0] + LEAVES[1]).digest()
    assert node_hash(LEAVES[0], LEAVES[1]) == ROOTS[2] == by_hand


def test_node_hash_rejects_short_children() -> None:
    with pytest.raises(ValueError):
        node_hash(b"\x00" * 31, LEAVES[0])


@pytest.mark.parametrize("size", range(9))
def test_roots(size: int) -> None:
    builder = TreeBuilder()
    builder.extend(LEAVES[:size])
    assert root_hash(LEAVES[:size]) == builder.root() == ref_mth(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors(index: int, size: int, proof: list[bytes]) -> None:
    root = ROOTS[size]
    assert inclusion_proof(index, LEAVES[:size]) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, root)
    # transparency-dev's corruption probes: each must be rejected.
    probes = [
        (index - 1, size, root, LEAVES[index], proof),
        (index + 1, size, root, LEAVES[index], proof),
        (index ^ 2, size, root, LEAVES[index], proof),
        (index, size * 2, root, LEAVES[index], proof),
        (index, size // 2, root, LEAVES[index], proof),
        (index, size, root, b"WrongLeaf", proof),
        (index, size, EMPTY_ROOT, LEAVES[index], proof),
        (index, size, SOME_HASH, LEAVES[index], proof),
        (index, size, root, LEAVES[index], [*proof, b""]),
        (index, size, root, LEAVES[index], [*proof, root]),
        (index, size, root, LEAVES[index], [b"", *proof]),
        (index, size, root, LEAVES[index], [root, *proof]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, root, LEAVES[index], flipped))
    if proof:
        probes.append((index, size, root, LEAVES[index], proof[:-1]))
    if len(proof) > 1:
        probes.append((index, size, root, LEAVES[index], [proof[0], SOME_HASH, *proof[1:]]))
    for i, n, r, leaf, p in probes:
        assert not verify_inclusion(leaf, i, n, p, r), (i, n)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors(old: int, new: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[old], ROOTS[new]
    assert consistency_proof(old, LEAVES[:new]) == proof
    assert verify_consistency(old, new, r1, r2, proof)
    if not proof:
        return
    probes = [
        (old - 1, new, r1, r2, proof), (old + 1, new, r1, r2, proof), (old ^ 2, new, r1, r2, proof),
        (old, new * 2, r1, r2, proof), (old, new // 2, r1, r2, proof),
        (old, new, b"WrongRoot", r2, proof), (old, new, r1, b"WrongRoot", proof), (old, new, r2, r1, proof),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*proof, b""]), (old, new, r1, r2, [*proof, r1]), (old, new, r1, r2, [*proof, r2]),
        (old, new, r1, r2, [b"", *proof]), (old, new, r1, r2, [r1, *proof]), (old, new, r1, r2, [r2, *proof]),
        (old, new, r1, r2, [proof[0], *proof]),
        (old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((old, new, r1, r2, flipped))
    for o, n, a, b, p in probes:
        assert not verify_consistency(o, n, a, b, p), (o, n)


@pytest.mark.parametrize(
    ("old", "new", "r1", "r2", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 5, EMPTY_ROOT, ROOTS[5], [], True),
        (0, 5, SOME_HASH, ROOTS[5], [], False),  # stricter than transparency-dev: size 0 has one root
        (0, 5, EMPTY_ROOT, ROOTS[5], [EMPTY_ROOT], False),
        (3, 3, ROOTS[3], ROOTS[3], [], True),
        (3, 3, ROOTS[3], ROOTS[4], [], False),
        (3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]], False),
        (1, 0, ROOTS[1], ROOTS[0], [], False),
        (2, 1, ROOTS[2], ROOTS[1], [], False),
        (1, 2, ROOTS[1], ROOTS[2], [], False),
        (-1, 2, ROOTS[1], ROOTS[2], [], False),
    ],
)
def test_consistency_edges(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes], ok: bool) -> None:
    assert verify_consistency(old, new, r1, r2, proof) is ok


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 3)])
def test_inclusion_edges(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)
    with pytest.raises(ValueError):
        inclusion_proof(index, LEAVES[:size])


def test_single_leaf_tree_root_is_the_leaf() -> None:
    leaf = leaf_hash(b"data")
    assert verify_inclusion(leaf, 0, 1, [], leaf)
    assert not verify_inclusion(leaf, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], leaf)
