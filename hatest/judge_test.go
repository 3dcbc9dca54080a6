package hatest

import (
	"fmt"
	"strings"
	"testing"

	"alertdesk/notify/sandbox"
)

// TestJudge checks the proof's reading of a robot's messages on made-up arrivals, so that
// a duplicate, a reordering or a lost count is seen (the end-to-end run rarely has one).
func TestJudge(t *testing.T) {
	msg := func(composed int64, count int) sandbox.Received {
		return sandbox.Received{Accepted: true, Title: "HA x", Text: fmt.Sprintf("composed=%d firing=%d\nsteady-1 ", composed, count)}
	}
	tests := []struct {
		name     string
		msgs     []sandbox.Received
		dups     int
		last     int
		problems string
	}{
		{"in order", []sandbox.Received{msg(10, 1), msg(20, 3), msg(30, 7)}, 0, 7, ""},
		{"an in-flight send repeated after a takeover", []sandbox.Received{msg(10, 1), msg(20, 3), msg(20, 3), msg(30, 7)}, 1, 7, ""},
		{"two repeats", []sandbox.Received{msg(10, 1), msg(10, 1), msg(20, 3), msg(20, 3)}, 2, 3, ""},
		{"a later message overtook an earlier one", []sandbox.Received{msg(10, 1), msg(30, 7), msg(20, 3)}, 0, 3, "out of order"},
		{"a count went down", []sandbox.Received{msg(10, 5), msg(20, 3)}, 0, 3, "out of order"},
		{"not the template", []sandbox.Received{{Accepted: true, Text: "hello"}}, 0, -1, "without the test template's marks"},
		{"nothing", nil, 0, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(tt.msgs)
			if v.dups != tt.dups || v.last != tt.last {
				t.Errorf("dups %d, last %d; want %d, %d", v.dups, v.last, tt.dups, tt.last)
			}
			got := strings.Join(v.problems, "; ")
			if (tt.problems == "") != (got == "") || !strings.Contains(got, tt.problems) {
				t.Errorf("problems %q, want %q", got, tt.problems)
			}
		})
	}
}
