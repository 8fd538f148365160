"""The explanation trees (explain._Forest) are the ones SciPy made: same edges, same walk."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from matchers.explain import _Forest


def _graphs(size: int) -> st.SearchStrategy[tuple[int, list[tuple[int, int, int]]]]:
    pair = st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)).filter(lambda p: p[0] < p[1])
    edge = st.tuples(pair, st.integers(1, 4)).map(lambda e: (e[0][0], e[0][1], e[1]))
    return st.tuples(st.just(size), st.lists(edge, max_size=60, unique_by=lambda e: (e[0], e[1])))


@settings(max_examples=400, deadline=None)
@given(st.integers(2, 30).flatmap(_graphs))
def test_forest_and_walk_match_scipy(graph: tuple[int, list[tuple[int, int, int]]]) -> None:
    size, edges = graph
    # Edges come sorted by their first node, then their second (explain's ORDER BY a, b).
    edges = sorted(edges)
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    prio = np.array([e[2] for e in edges], dtype=np.int64)
    forest = _Forest.minimum(size, a, b, prio)
    tree = minimum_spanning_tree(coo_matrix((prio.astype(np.float64), (a, b)), shape=(size, size)).tocsr())
    ours = sorted((min(n, m), max(n, m)) for n, near in enumerate(forest.neighbours) for m in near if n < m)
    rows, cols = tree.nonzero()
    assert ours == sorted(zip(rows.tolist(), cols.tolist(), strict=True))
    for root in range(size):
        order, pred = forest.breadth_first(root)
        expected_order, expected_pred = breadth_first_order(tree, root, directed=False, return_predecessors=True)
        assert order.tolist() == expected_order.tolist()
        children = order[1:]
        assert pred[children].tolist() == expected_pred[children].tolist()


def test_ties_keep_edge_order() -> None:
    # A triangle of one priority keeps its first two edges; a cheaper edge goes first.
    a, b = np.array([0, 0, 1]), np.array([1, 2, 2])
    assert _Forest.minimum(3, a, b, np.array([2, 2, 2])).neighbours == [[1, 2], [0], [0]]
    assert _Forest.minimum(3, a, b, np.array([2, 2, 1])).neighbours == [[1], [2, 0], [1]]
