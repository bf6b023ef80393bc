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
