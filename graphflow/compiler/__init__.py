"""Graph passes over GraphDefs: indexing (networkx), pruning, ordering, gradients, planning."""
