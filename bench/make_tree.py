"""Writes COUNT files of SIZE random octets under ROOT, spread over DIRS
directories (100 unless given): the small-file trees of bench/tree.sh and
bench/treevs.sh.

    python3 bench/make_tree.py ROOT COUNT SIZE [DIRS]
"""
import os
import sys

root, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dirs = int(sys.argv[4]) if len(sys.argv) > 4 else 100
for i in range(count):
    d = os.path.join(root, "d%03d" % (i % dirs))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d" % i), "wb") as f:
        f.write(os.urandom(size))
