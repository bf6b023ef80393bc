# The node layouts a fitted forest is packed into for prediction
# (_tree_predict.pack_forest writes PackedNode, _tree_codes.pack_codes
# rewrites those as CodeNode).  In both a tree's nodes are breadth first with
# siblings adjacent (the right child is left + 1) and a leaf sends every row
# to itself, so a walk needs no leaf test.
from libc.stdint cimport int32_t, uint8_t, uint16_t


cdef packed struct PackedNode:
    # One forest node in 16 bytes (four per cache line); a node of the
    # ``tree_`` arrays is spread over five arrays, so five cache lines per step.
    double threshold    # go left when x <= threshold; +inf at leaves
    int32_t code        # 2 * feature + missing_go_to_left; 1 at leaves
    int32_t left        # tree-local id of the left child, right = left + 1; itself at leaves


cdef packed struct CodeNode:
    # The same node over one-byte codes in 8 bytes (eight per cache line).
    int32_t left        # as PackedNode.left
    uint16_t feature    # 0 at leaves
    uint8_t cut         # go left when code <= cut; LEAF_CUT at leaves
    uint8_t missing_left  # NaN (code NAN_CODE) goes left; 1 at leaves


cdef enum:
    # A feature is coded in one byte when the forest splits it at no more
    # than MAX_CUTS thresholds (codes 0..MAX_CUTS); code NAN_CODE is NaN, and
    # a leaf's cut LEAF_CUT is never below a code, so a leaf keeps every row.
    MAX_CUTS = 254
    NAN_CODE = 255
    LEAF_CUT = 255


cdef inline void add_leaves(const double* values, Py_ssize_t V, const int32_t* node,
                            Py_ssize_t size, double* out) noexcept nogil:
    """out[g] += the V values of leaf node[g], for the size rows of a walked group.

    The walks (both layouts) ask for a group's leaf values when its walk
    ends and add them after the next group's walk: a deep forest's values
    are far out of cache, and the next walk hides their wait.  Each row's
    sum still runs in tree order.  Measured by `gdcore bench tree`
    (RandomForestClassifier(100) predict, 1,000,000 x 40).
    """
    cdef Py_ssize_t g, j
    cdef const double* leaf
    for g in range(size):
        leaf = values + node[g] * V
        for j in range(V):
            out[g * V + j] += leaf[j]
