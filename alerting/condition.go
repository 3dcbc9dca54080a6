package alerting

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Comparison is a threshold condition's operator.
type Comparison string

// The comparisons a threshold condition can use.
const (
	Greater      Comparison = ">"
	GreaterEqual Comparison = ">="
	Less         Comparison = "<"
	LessEqual    Comparison = "<="
	Equal        Comparison = "=="
	NotEqual     Comparison = "!="
)

// MaxConditionFor bounds how long a condition may have to hold before firing.
const MaxConditionFor = 7 * 24 * time.Hour

// Condition is a rule's threshold on an alert's value: the rule fires for a
// series (one alert fingerprint) once Metric Op Threshold has held
// continuously for For. Metric "" means the alert's single value (see
// Alert.Value).
type Condition struct {
	Metric    string
	Op        Comparison
	Threshold float64
	For       time.Duration
}

// Validate checks the condition; its errors are written for the rule form.
func (c Condition) Validate() error {
	switch c.Op {
	case Greater, GreaterEqual, Less, LessEqual, Equal, NotEqual:
	default:
		return fmt.Errorf("comparison %q is not one of >, >=, <, <=, ==, !=", truncateForError(string(c.Op)))
	}
	if math.IsNaN(c.Threshold) || math.IsInf(c.Threshold, 0) {
		return errors.New("threshold must be a finite number")
	}
	if c.For < 0 {
		return errors.New("duration must not be negative")
	}
	if c.For > MaxConditionFor {
		return fmt.Errorf("duration must be at most %s", MaxConditionFor)
	}
	if len(c.Metric) > maxNameBytes || !cleanText(c.Metric, false) {
		return fmt.Errorf("metric name must be at most %d bytes of text", maxNameBytes)
	}
	return nil
}

// Holds reports whether v satisfies the condition. NaN never does.
func (c Condition) Holds(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch c.Op {
	case Greater:
		return v > c.Threshold
	case GreaterEqual:
		return v >= c.Threshold
	case Less:
		return v < c.Threshold
	case LessEqual:
		return v <= c.Threshold
	case Equal:
		return v == c.Threshold
	case NotEqual:
		return v != c.Threshold
	}
	return false
}

// SeriesState is what a condition remembers about one series between
// observations. The zero value is a series that is neither pending nor firing.
type SeriesState struct {
	PendingSince time.Time // when the condition started holding; zero when it does not hold
	Firing       bool
	LastValue    float64
}

// Pending reports whether the condition holds but has not yet held for long enough.
func (s SeriesState) Pending() bool { return !s.Firing && !s.PendingSince.IsZero() }

// Transition is what one step did to a series.
type Transition string

// Transitions returned by Condition.Step and Condition.Tick.
const (
	NoChange          Transition = ""
	BecamePending     Transition = "pending"
	BecameFiring      Transition = "firing"
	BecameResolved    Transition = "resolved"
	PendingWasCleared Transition = "cleared" // pending, and stopped holding before it fired
)

// Step feeds one observation at now and returns the new state and what
// happened. A series fires when the condition has held continuously for
// c.For (0: at once, on the first holding observation) and resolves when it
// stops holding or when the alert itself is resolved (resolved=true).
func (c Condition) Step(prev SeriesState, value float64, resolved bool, now time.Time) (SeriesState, Transition) {
	next := SeriesState{LastValue: value}
	if resolved || !c.Holds(value) {
		switch {
		case prev.Firing:
			return next, BecameResolved
		case prev.Pending():
			return next, PendingWasCleared
		}
		return next, NoChange
	}
	if prev.Firing {
		next.Firing, next.PendingSince = true, prev.PendingSince
		return next, NoChange
	}
	next.PendingSince = prev.PendingSince
	if next.PendingSince.IsZero() {
		next.PendingSince = now
	}
	if now.Sub(next.PendingSince) >= c.For {
		next.Firing = true
		return next, BecameFiring
	}
	if prev.Pending() {
		return next, NoChange
	}
	return next, BecamePending
}

// Due returns, for a pending series whose last value still holds, the time at
// which it fires if nothing new is observed. The caller sets a timer and then
// calls Tick.
func (c Condition) Due(s SeriesState) (time.Time, bool) {
	if !s.Pending() || !c.Holds(s.LastValue) {
		return time.Time{}, false
	}
	return s.PendingSince.Add(c.For), true
}

// Tick re-checks a series at now without a new observation: a pending series
// fires once it is due and its latest value still holds. Series that are not
// pending are left alone.
func (c Condition) Tick(s SeriesState, now time.Time) (SeriesState, Transition) {
	if !s.Pending() {
		return s, NoChange
	}
	return c.Step(s, s.LastValue, false, now)
}
