# Sourced by the benchmark scripts: warm_memory DIR MIB.
#
# On a virtual machine whose guest hands free memory back to the host
# (free page reporting, as on the machine these figures come from), the
# first write to such memory costs a host fault per page: measured here
# ~2 s per GiB, more than a whole 1 GiB transfer. Which run of a benchmark
# lands on such memory is chance, so it swamps the comparison. Before each
# timed run the scripts fill MIB MiB of fresh tmpfs pages in DIR and free
# them, so baseline and FlaxFile alike start with memory the guest holds.
# On other machines it costs a second or two and changes nothing.
warm_memory() {
	dd if=/dev/zero of="$1/warm.tmp" bs=4M count=$(($2 / 4)) status=none
	rm -f "$1/warm.tmp"
}
