package pipeline

import (
	"sort"
	"time"

	"alertdesk/db"
)

// Numbers are the response times of a set of incidents. MTTA is the mean time from an
// incident's own start (its opening, not its first alert's) to its first
// acknowledgement, over the acknowledged ones; MTTR the mean time from its start to its
// resolve or close, over the ended ones.
type Numbers struct {
	Key       string
	Incidents int
	Acked     int
	Ended     int
	MTTA      time.Duration
	MTTR      time.Duration
}

// IncidentNumbers groups incidents by key (one incident may count under several keys, as
// under each robot that carried it) and computes their numbers, most incidents first.
func IncidentNumbers(list []db.IncidentTimes, keys func(db.IncidentTimes) []string) []Numbers {
	type acc struct {
		n          Numbers
		ack, ended time.Duration
	}
	by := map[string]*acc{}
	for _, it := range list {
		for _, k := range keys(it) {
			a := by[k]
			if a == nil {
				a = &acc{n: Numbers{Key: k}}
				by[k] = a
			}
			a.n.Incidents++
			if !it.Acked.IsZero() {
				a.n.Acked++
				a.ack += it.Acked.Sub(it.Opened)
			}
			if !it.Ended.IsZero() {
				a.n.Ended++
				a.ended += it.Ended.Sub(it.Opened)
			}
		}
	}
	out := make([]Numbers, 0, len(by))
	for _, a := range by {
		if a.n.Acked > 0 {
			a.n.MTTA = a.ack / time.Duration(a.n.Acked)
		}
		if a.n.Ended > 0 {
			a.n.MTTR = a.ended / time.Duration(a.n.Ended)
		}
		out = append(out, a.n)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Incidents != out[j].Incidents {
			return out[i].Incidents > out[j].Incidents
		}
		return out[i].Key < out[j].Key
	})
	return out
}
