# A growing tree's nodes, for _tree_build.pyx: scikit-learn's node records
# (sklearn.tree._tree.Node, field for field; the builder's NODE_DTYPE) and
# per node its K values, in arrays that double when full (O(1) amortized per
# node).  Inline helpers; the arrays belong to the caller once a tree is grown.
from libc.stdlib cimport realloc

from gdcore.discriminative.tree._tree_split cimport Split

cdef enum:
    # scikit-learn's markers: a leaf's children, a leaf's feature and threshold
    TREE_LEAF = -1
    TREE_UNDEFINED = -2


cdef struct Node:
    # scikit-learn's NODE_DTYPE, field for field (sklearn.tree._tree.Node).
    Py_ssize_t left_child
    Py_ssize_t right_child
    Py_ssize_t feature
    double threshold
    double impurity
    Py_ssize_t n_node_samples
    double weighted_n_node_samples
    unsigned char missing_go_to_left


cdef struct Tree:
    Node* nodes
    double* values                 # (cap, K) weighted class counts / target means
    Py_ssize_t n_nodes
    Py_ssize_t cap
    Py_ssize_t max_depth


cdef inline void set_split(Node* nd, bint leaf, const Split* s) noexcept nogil:
    """Make nd a leaf, or an internal node cutting as s says (children unset)."""
    nd.left_child = TREE_LEAF
    nd.right_child = TREE_LEAF
    if leaf:
        nd.feature = TREE_UNDEFINED
        nd.threshold = TREE_UNDEFINED
        nd.missing_go_to_left = 0
        return
    nd.feature = s.feature
    nd.threshold = s.threshold
    nd.missing_go_to_left = s.missing_left


cdef inline Py_ssize_t tree_add_node(Tree* tr, Py_ssize_t K, bint classifier,
                                     const double* total, Py_ssize_t parent, bint is_left,
                                     bint leaf, const Split* s, double impurity,
                                     Py_ssize_t n_node, Py_ssize_t depth) noexcept nogil:
    """Append a node with the stats total = [count, weight, K sums] (values:
    the class weights, or the target means); its id, or -1 when out of memory."""
    cdef Py_ssize_t k, cap
    cdef Node* nd
    cdef double* v
    cdef void* p1
    cdef void* p2
    if tr.n_nodes == tr.cap:
        cap = 2 * tr.cap if tr.cap > 0 else 64
        p1 = realloc(tr.nodes, cap * sizeof(Node))
        if p1 == NULL:
            return -1
        tr.nodes = <Node*> p1
        p2 = realloc(tr.values, cap * K * sizeof(double))
        if p2 == NULL:
            return -1
        tr.values = <double*> p2
        tr.cap = cap
    nd = &tr.nodes[tr.n_nodes]
    nd.impurity = impurity
    nd.n_node_samples = n_node
    nd.weighted_n_node_samples = total[1]
    v = tr.values + tr.n_nodes * K
    for k in range(K):
        v[k] = total[2 + k] if classifier else total[2 + k] / total[1]
    set_split(nd, leaf, s)
    if parent >= 0:
        if is_left:
            tr.nodes[parent].left_child = tr.n_nodes
        else:
            tr.nodes[parent].right_child = tr.n_nodes
    if depth > tr.max_depth:
        tr.max_depth = depth
    tr.n_nodes += 1
    return tr.n_nodes - 1
