package flaxfile

import "sync"

// maxRun is how many chunks in a row a server of a spread transfer takes
// at a time. A server in front of an object store reads a download's
// ranges asked in order through one long response of the store's; ranges
// dealt out one by one in turn to several servers reach each out of order
// (every other one, or every third), and each costs a request of its own
// (the store spends on one about what moving 2 MiB costs it).
const maxRun = 8

// runs hands out a transfer's chunk ids to the connections of one or more
// servers: each server takes a run of ids in a row from the list, in
// order, and its connections take them in turn; a server whose run is
// spent takes the next run. Once the list is spent, a server with nothing
// left takes the last id of the longest run another still holds, so that
// all finish together.
type runs struct {
	mu   sync.Mutex
	ids  []int64
	next int               // ids[next:] are in no run yet
	len  int               // ids a run takes
	own  map[*peer][]int64 // each server's run: its ids not yet handed out
}

// newRuns deals ids out to servers in runs of up to maxRun, fewer when
// there are too few for each of servers to have a run.
func newRuns(ids []int64, servers int) *runs {
	n := (len(ids) + servers - 1) / max(1, servers)
	return &runs{ids: ids, len: max(1, min(maxRun, n)), own: map[*peer][]int64{}}
}

// take hands a connection to server p the next chunk id; false when every
// id has been handed out.
func (r *runs) take(p *peer) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	run := r.own[p]
	if len(run) == 0 && r.next < len(r.ids) {
		end := min(len(r.ids), r.next+r.len)
		run = r.ids[r.next:end:end]
		r.next = end
	}
	if len(run) > 0 {
		r.own[p] = run[1:]
		return run[0], true
	}
	var from *peer
	for q, run := range r.own {
		if len(run) > 0 && (from == nil || len(run) > len(r.own[from])) {
			from = q
		}
	}
	if from == nil {
		return 0, false
	}
	run = r.own[from]
	r.own[from] = run[:len(run)-1]
	return run[len(run)-1], true
}

// rest takes every id not yet handed out.
func (r *runs) rest() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]int64(nil), r.ids[r.next:]...)
	r.next = len(r.ids)
	for p, run := range r.own {
		out = append(out, run...)
		delete(r.own, p)
	}
	return out
}
