#!/usr/bin/env bash
# Plots bench/out/sizes.dat (bench/sizes.sh) as docs/sizes.png:
# throughput against file size for the raw copy, set and get. Needs
# gnuplot (Debian: gnuplot-nox).
set -euo pipefail
cd "$(dirname "$0")/.."
gnuplot <<'GP'
set terminal pngcairo size 900,520 noenhanced
set output "docs/sizes.png"
set title "FlaxFile set/get vs a raw TCP copy, through the CLI, tmpfs, loopback"
set xlabel "file size (MiB)"
set ylabel "MB/s (process start included)"
set logscale x 2
set key left top
set grid
plot "bench/out/sizes.dat" using 1:5 with linespoints title "raw copy (sendfile -> splice)", \
     "" using 1:6 with linespoints title "flaxfile set", \
     "" using 1:7 with linespoints title "flaxfile get"
GP
echo "wrote docs/sizes.png"
