"""Minimal cost-complexity pruning (Breiman et al., CART, 1984, ch. 3), as scikit-learn does it.

The risk of a node is ``r(t) = weighted_n(t) * impurity(t) / weighted_n(root)``;
a branch's is the sum over its leaves.  While the weakest link (the inner node
with the smallest ``(r(t) - R(branch)) / (leaves(branch) - 1)``) costs at most
``ccp_alpha``, its branch is cut back to a leaf.  One vectorized pass over the
nodes per cut, so O(n_nodes * cuts); trees worth pruning are small.
"""

import copy

import numpy as np

from gdcore.discriminative.tree._structure import TREE_LEAF


def _parents(tree):
    parent = np.full(tree.node_count, -1, dtype=np.intp)
    inner = np.flatnonzero(tree.children_left != TREE_LEAF)
    parent[tree.children_left[inner]] = inner
    parent[tree.children_right[inner]] = inner
    return parent


def _weakest_links(tree):
    """Prune ``tree`` weakest link first, one cut per step.

    Yields (alpha, impurity, alive) before the first cut (alpha 0) and after
    each cut: the cut's effective alpha, the total leaf impurity of the pruned
    tree and the mask of its nodes (the same array, updated in place).
    """
    n = tree.node_count
    r_node = tree.weighted_n_node_samples * tree.impurity / tree.weighted_n_node_samples[0]
    parent = _parents(tree)
    is_leaf = tree.children_left == TREE_LEAF
    r_branch = np.where(is_leaf, r_node, 0.0)
    n_leaves = is_leaf.astype(np.intp)
    # children have larger ids than their parents: sum subtrees from the end
    for i in range(n - 1, 0, -1):
        r_branch[parent[i]] += r_branch[i]
        n_leaves[parent[i]] += n_leaves[i]
    candidate = ~is_leaf
    alive = np.ones(n, dtype=bool)
    yield 0.0, float(r_branch[0]), alive
    while candidate[0]:
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(candidate, (r_node - r_branch) / (n_leaves - 1), np.inf)
        cut = int(np.argmin(alpha))
        # the branch below `cut` goes; `cut` becomes a leaf
        below = _descendants(tree, cut)
        alive[below] = False
        candidate[below] = False
        candidate[cut] = False
        dr, dl = r_node[cut] - r_branch[cut], 1 - n_leaves[cut]
        r_branch[cut], n_leaves[cut] = r_node[cut], 1
        a = parent[cut]
        while a >= 0:
            r_branch[a] += dr
            n_leaves[a] += dl
            a = parent[a]
        yield float(alpha[cut]), float(r_branch[0]), alive


def prune(tree, ccp_alpha):
    """Return a copy of ``tree`` cut back by minimal cost-complexity pruning at ``ccp_alpha``."""
    keep = None
    for alpha, _, alive in _weakest_links(tree):
        if alpha > ccp_alpha:
            break
        keep = alive.copy()
    return _keep(tree, keep)


def pruning_path(tree):
    """(ccp_alphas, impurities) of every subtree on the pruning path, as scikit-learn's."""
    steps = [(alpha, impurity) for alpha, impurity, _ in _weakest_links(tree)]
    alphas, impurities = np.array(steps, dtype=np.float64).T
    return alphas, impurities


def _descendants(tree, node):
    out, frontier = [], [node]
    while frontier:
        kids = [c for v in frontier for c in (tree.children_left[v], tree.children_right[v])
                if c != TREE_LEAF]
        out.extend(kids)
        frontier = kids
    return np.array(out, dtype=np.intp)


def _keep(tree, alive):
    """Return the tree restricted to the alive nodes (ids renumbered in order)."""
    new = copy.copy(tree)
    keep = np.flatnonzero(alive)
    new_id = np.full(tree.node_count, TREE_LEAF, dtype=np.intp)
    new_id[keep] = np.arange(len(keep))
    left, right = tree.children_left[keep], tree.children_right[keep]
    leaf = (left == TREE_LEAF) | ~alive[np.maximum(left, 0)]
    new.children_left = np.where(leaf, TREE_LEAF, new_id[np.maximum(left, 0)])
    new.children_right = np.where(leaf, TREE_LEAF, new_id[np.maximum(right, 0)])
    new.feature = np.where(leaf, -2, tree.feature[keep])
    new.threshold = np.where(leaf, -2.0, tree.threshold[keep])
    new.missing_go_to_left = np.where(leaf, 0, tree.missing_go_to_left[keep]).astype(np.uint8)
    for name in ("impurity", "n_node_samples", "weighted_n_node_samples", "value"):
        setattr(new, name, getattr(tree, name)[keep])
    new.node_count = len(keep)
    depth = np.zeros(len(keep), dtype=np.intp)
    for i in range(len(keep)):  # parents come first
        if not leaf[i]:
            depth[new.children_left[i]] = depth[new.children_right[i]] = depth[i] + 1
    new.max_depth = int(depth.max())
    return new
