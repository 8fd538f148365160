"""Connected components on whole arrays (graph.component_labels) against SciPy's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from matchers.graph import component_labels


def _scipy_labels(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    matrix = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(size, size))
    return connected_components(matrix, directed=False)[1]


def _same_partition(one: np.ndarray, other: np.ndarray) -> bool:
    """Whether two labellings put the nodes in the same components (whatever their labels)."""
    pairs = np.unique(np.stack([one, other]), axis=1)
    return pairs.shape[1] == len(np.unique(one)) == len(np.unique(other))


def _check(a: list[int], b: list[int], size: int) -> np.ndarray:
    edges_a, edges_b = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    labels = component_labels(edges_a, edges_b, size)
    assert _same_partition(labels, _scipy_labels(edges_a, edges_b, size))
    # Each component is labelled with its smallest node.
    for label in np.unique(labels):
        assert label == np.flatnonzero(labels == label).min()
    return labels


def _graphs(size: int) -> st.SearchStrategy[tuple[int, list[tuple[int, int]]]]:
    node = st.integers(0, size - 1)
    return st.tuples(st.just(size), st.lists(st.tuples(node, node), max_size=80))


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(_graphs))
def test_components_match_scipy_on_any_graph(graph: tuple[int, list[tuple[int, int]]]) -> None:
    size, edges = graph
    _check([e[0] for e in edges], [e[1] for e in edges], size)


def test_long_chains_in_shuffled_order() -> None:
    # A path of 100,000 nodes numbered at random, and one numbered to alternate
    # low and high: the rounds that hook roots must still join each into one.
    rng = np.random.default_rng(7)
    order = rng.permutation(100_000)
    labels = _check(list(order[:-1]), list(order[1:]), 100_000)
    assert set(labels) == {0}
    zigzag = np.array([k // 2 if k % 2 == 0 else 99_999 - k // 2 for k in range(100_000)])
    labels = _check(list(zigzag[:-1]), list(zigzag[1:]), 100_000)
    assert set(labels) == {0}


def test_no_edges_and_loops() -> None:
    assert list(component_labels(np.array([], dtype=np.int64), np.array([], dtype=np.int64), 0)) == []
    assert list(_check([2, 1], [2, 1], 3)) == [0, 1, 2]
    assert list(_check([3, 0], [1, 2], 4)) == [0, 1, 0, 1]
