package alerting

import (
	"math"
	"testing"
	"time"
)

func TestConditionValidate(t *testing.T) {
	tests := []struct {
		c    Condition
		want string
	}{
		{Condition{Op: Greater, Threshold: 90, For: 5 * time.Minute}, ""},
		{Condition{Metric: "B", Op: NotEqual, Threshold: -1}, ""},
		{Condition{Op: "=>", Threshold: 1}, `comparison "=>" is not one of >, >=, <, <=, ==, !=`},
		{Condition{Op: "", Threshold: 1}, `comparison "" is not one of >, >=, <, <=, ==, !=`},
		{Condition{Op: Less, Threshold: math.NaN()}, "threshold must be a finite number"},
		{Condition{Op: Less, Threshold: math.Inf(1)}, "threshold must be a finite number"},
		{Condition{Op: Less, For: -time.Second}, "duration must not be negative"},
		{Condition{Op: Less, For: 8 * 24 * time.Hour}, "duration must be at most 168h0m0s"},
		{Condition{Metric: "a\x00", Op: Less}, "metric name must be at most 256 bytes of text"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Validate(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestConditionHolds(t *testing.T) {
	tests := []struct {
		op   Comparison
		v    float64
		want bool
	}{
		{Greater, 11, true}, {Greater, 10, false},
		{GreaterEqual, 10, true}, {GreaterEqual, 9.99, false},
		{Less, 9, true}, {Less, 10, false},
		{LessEqual, 10, true}, {LessEqual, 10.01, false},
		{Equal, 10, true}, {Equal, 10.5, false},
		{NotEqual, 10.5, true}, {NotEqual, 10, false},
		{Greater, math.NaN(), false}, {NotEqual, math.NaN(), false},
		{"bogus", 11, false},
	}
	for _, tt := range tests {
		c := Condition{Op: tt.op, Threshold: 10}
		if got := c.Holds(tt.v); got != tt.want {
			t.Errorf("%v %s 10 = %v, want %v", tt.v, tt.op, got, tt.want)
		}
	}
}

// step is one observation in a timeline: at minute at, value v (resolved: the
// alert itself was resolved), and the transition and firing state expected.
type step struct {
	at       time.Duration
	v        float64
	resolved bool
	want     Transition
	firing   bool
	pending  bool
}

func runTimeline(t *testing.T, c Condition, steps []step) SeriesState {
	t.Helper()
	t0 := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC) // the test's clock
	var s SeriesState
	for i, st := range steps {
		var tr Transition
		s, tr = c.Step(s, st.v, st.resolved, t0.Add(st.at))
		if tr != st.want || s.Firing != st.firing || s.Pending() != st.pending || s.LastValue != st.v {
			t.Fatalf("step %d (t+%v, v=%v, resolved=%v): got %q firing=%v pending=%v last=%v, want %q firing=%v pending=%v",
				i, st.at, st.v, st.resolved, tr, s.Firing, s.Pending(), s.LastValue, st.want, st.firing, st.pending)
		}
	}
	return s
}

func TestConditionStepTimelines(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name  string
		c     Condition
		steps []step
	}{
		{
			name: "For=0 fires at once",
			c:    Condition{Op: Greater, Threshold: 90},
			steps: []step{
				{0, 50, false, NoChange, false, false},
				{1 * m, 95, false, BecameFiring, true, false},
				{2 * m, 99, false, NoChange, true, false},
				{3 * m, 80, false, BecameResolved, false, false},
				{4 * m, 80, false, NoChange, false, false},
			},
		},
		{
			name: "For=5m pends, then fires only after 5m of holding",
			c:    Condition{Op: Greater, Threshold: 90, For: 5 * m},
			steps: []step{
				{0, 95, false, BecamePending, false, true},
				{2 * m, 96, false, NoChange, false, true},
				{4*m + 59*time.Second, 97, false, NoChange, false, true},
				{5 * m, 91, false, BecameFiring, true, false},
				{6 * m, 99, false, NoChange, true, false},
				{7 * m, 90, false, BecameResolved, false, false},
			},
		},
		{
			name: "a dip resets pending",
			c:    Condition{Op: Greater, Threshold: 90, For: 5 * m},
			steps: []step{
				{0, 95, false, BecamePending, false, true},
				{3 * m, 85, false, PendingWasCleared, false, false},
				{4 * m, 95, false, BecamePending, false, true},
				// Five minutes after the first holding value, but only four after the dip.
				{8 * m, 95, false, NoChange, false, true},
				{9 * m, 95, false, BecameFiring, true, false},
			},
		},
		{
			name: "the alert itself resolves while firing",
			c:    Condition{Op: Less, Threshold: 10},
			steps: []step{
				{0, 5, false, BecameFiring, true, false},
				{1 * m, 5, true, BecameResolved, false, false},
				{2 * m, 5, true, NoChange, false, false},
			},
		},
		{
			name: "the alert resolves while pending",
			c:    Condition{Op: GreaterEqual, Threshold: 1, For: 10 * m},
			steps: []step{
				{0, 1, false, BecamePending, false, true},
				{1 * m, 1, true, PendingWasCleared, false, false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runTimeline(t, tt.c, tt.steps)
		})
	}
}

func TestConditionDueAndTick(t *testing.T) {
	c := Condition{Op: Greater, Threshold: 90, For: 5 * time.Minute}
	t0 := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	s, _ := c.Step(SeriesState{}, 95, false, t0)
	due, ok := c.Due(s)
	if !ok || !due.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("Due = %v, %v; want %v, true", due, ok, t0.Add(5*time.Minute))
	}
	if s2, tr := c.Tick(s, t0.Add(4*time.Minute)); tr != NoChange || s2.Firing {
		t.Errorf("Tick before due: got %q firing=%v, want no change", tr, s2.Firing)
	}
	s2, tr := c.Tick(s, due)
	if tr != BecameFiring || !s2.Firing {
		t.Errorf("Tick at due: got %q firing=%v, want firing", tr, s2.Firing)
	}
	if _, ok := c.Due(s2); ok {
		t.Errorf("Due on a firing series: got true, want false")
	}
	if s3, tr := c.Tick(s2, due.Add(time.Hour)); tr != NoChange || !s3.Firing {
		t.Errorf("Tick on a firing series: got %q, want no change", tr)
	}
	if _, ok := c.Due(SeriesState{}); ok {
		t.Errorf("Due on an idle series: got true, want false")
	}
	if s4, tr := c.Tick(SeriesState{LastValue: 95}, due); tr != NoChange || s4.Pending() {
		t.Errorf("Tick on an idle series: got %q pending=%v, want nothing", tr, s4.Pending())
	}
	// The rule was edited while pending: the latest value no longer holds.
	stricter := Condition{Op: Greater, Threshold: 99, For: 5 * time.Minute}
	if _, ok := stricter.Due(s); ok {
		t.Errorf("Due when the last value no longer holds: got true, want false")
	}
	if _, tr := stricter.Tick(s, due); tr != PendingWasCleared {
		t.Errorf("Tick when the last value no longer holds: got %q, want cleared", tr)
	}
}
