"""`make bench`: what a Lambda user pays for and waits on, measured against a floor in one run.

Timing against an emulator is not AWS timing, so every figure is either something that transfers
to AWS (imports, AWS calls, items scanned, bytes) or a ratio against a floor measured in the same
run on the same machine.
"""
