"""Writes COUNT files of SIZE random octets under ROOT, spread over 100
directories: the small-file trees of bench/tree.sh and bench/treevs.sh.

    python3 bench/make_tree.py ROOT COUNT SIZE
"""
import os
import sys

root, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(count):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d" % i), "wb") as f:
        f.write(os.urandom(size))
