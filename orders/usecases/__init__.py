"""Use cases: what happens, in what order, behind the ports they are given."""
