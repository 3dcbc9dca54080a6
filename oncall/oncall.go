// Package oncall computes who is on call in a schedule at an instant and the shifts over a
// range. It is pure (standard library only): the console stores schedules and the pipeline
// resolves "whoever is on call in schedule X" at send time through it.
//
// Shift boundaries are wall-clock times in the layer's zone: a daily rotation handing off at
// 09:00 hands off at 09:00 on the day daylight saving starts too, so that shift is 23 hours
// long, and restricted hours (09:00–17:00) stay at those wall-clock hours all year.
package oncall

import (
	"sort"
	"time"
)

// Unit is what a layer's shift length counts.
type Unit string

const (
	Hours Unit = "hours"
	Days  Unit = "days"
	Weeks Unit = "weeks"
)

// Valid reports whether u is one of the known units.
func (u Unit) Valid() bool { return u == Hours || u == Days || u == Weeks }

// Window is a part of the week, in wall-clock minutes in the layer's zone, during which a
// restricted layer has someone on shift. End <= Start means the window runs over midnight
// into the next day (nights: 18:00–08:00).
type Window struct {
	Day   time.Weekday
	Start int // minutes after midnight, 0–1439
	End   int // minutes after midnight, 1–1440
}

// contains reports whether the wall-clock weekday d and minute m fall in w.
func (w Window) contains(d time.Weekday, m int) bool {
	if w.End > w.Start {
		return d == w.Day && m >= w.Start && m < w.End
	}
	// Over midnight: the evening part on Day, the morning part on the day after.
	return (d == w.Day && m >= w.Start) || (d == (w.Day+1)%7 && m < w.End)
}

// Layer is a rotation of contacts. Start is the first hand-off (its wall-clock time of day in
// Location is the hand-off time of every shift); before Start the layer has nobody on shift.
type Layer struct {
	Members     []int64 // contact ids, in rotation order
	ShiftLength int     // how many Units a shift lasts, at least 1
	Unit        Unit
	Start       time.Time
	Location    *time.Location
	Restrict    []Window // empty: on shift around the clock
}

// Override puts one contact on call for [From, To), above all layers.
type Override struct {
	Contact  int64
	From, To time.Time
}

// Schedule is layers in priority order (Layers[0] is the highest) and overrides; when
// overrides overlap the later one in the list wins.
type Schedule struct {
	Layers    []Layer
	Overrides []Override
}

// Source says what decided who is on call.
type Source int

const (
	Gap       Source = iota // nobody: the schedule's fallback is mentioned
	FromLayer               // a layer's rotation (Layer says which)
	FromOverride
)

// OnCall is who is on call at an instant and why.
type OnCall struct {
	Contact int64 // 0 in a gap
	Source  Source
	Layer   int // index into Schedule.Layers when Source is FromLayer, else -1
}

// boundary is the start of shift k: the hand-off k shifts after Start, in wall-clock time.
func (l Layer) boundary(k int) time.Time {
	s := l.Start.In(l.loc())
	y, mo, d := s.Date()
	h, mi, sec := s.Clock()
	switch l.Unit {
	case Hours:
		h += k * l.length()
	case Weeks:
		d += 7 * k * l.length()
	default:
		d += k * l.length()
	}
	return time.Date(y, mo, d, h, mi, sec, 0, l.loc())
}

func (l Layer) loc() *time.Location {
	if l.Location == nil {
		return time.UTC
	}
	return l.Location
}

func (l Layer) length() int {
	if l.ShiftLength < 1 {
		return 1
	}
	return l.ShiftLength
}

func (l Layer) nominal() time.Duration {
	switch l.Unit {
	case Hours:
		return time.Duration(l.length()) * time.Hour
	case Weeks:
		return time.Duration(l.length()) * 7 * 24 * time.Hour
	default:
		return time.Duration(l.length()) * 24 * time.Hour
	}
}

// shift returns the index of the shift that contains t, or -1 before Start.
func (l Layer) shift(t time.Time) int {
	if t.Before(l.Start) {
		return -1
	}
	k := int(t.Sub(l.Start) / l.nominal())
	// The nominal length is off by the daylight-saving hours crossed; walk to the true shift.
	for k > 0 && l.boundary(k).After(t) {
		k--
	}
	for !l.boundary(k + 1).After(t) {
		k++
	}
	return k
}

// At returns who is on shift in the layer at t, or 0.
func (l Layer) At(t time.Time) int64 {
	if len(l.Members) == 0 {
		return 0
	}
	k := l.shift(t)
	if k < 0 {
		return 0
	}
	if len(l.Restrict) > 0 {
		w := t.In(l.loc())
		m := w.Hour()*60 + w.Minute()
		inside := false
		for _, r := range l.Restrict {
			if r.contains(w.Weekday(), m) {
				inside = true
				break
			}
		}
		if !inside {
			return 0
		}
	}
	return l.Members[k%len(l.Members)]
}

// At returns who is on call in s at t.
func (s Schedule) At(t time.Time) OnCall {
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		o := s.Overrides[i]
		if !t.Before(o.From) && t.Before(o.To) {
			return OnCall{Contact: o.Contact, Source: FromOverride, Layer: -1}
		}
	}
	for i, l := range s.Layers {
		if c := l.At(t); c != 0 {
			return OnCall{Contact: c, Source: FromLayer, Layer: i}
		}
	}
	return OnCall{Layer: -1}
}

// Shift is one stretch of [From, To) during which the same OnCall holds.
type Shift struct {
	From, To time.Time
	OnCall
}

// Shifts returns the stretches covering [from, to), gaps included, adjacent equal stretches
// merged. It evaluates At at every instant anything could change: hand-offs, edges of
// restricted hours and overrides.
func (s Schedule) Shifts(from, to time.Time) []Shift {
	if !from.Before(to) {
		return nil
	}
	points := []time.Time{from}
	add := func(t time.Time) {
		if t.After(from) && t.Before(to) {
			points = append(points, t)
		}
	}
	for _, o := range s.Overrides {
		add(o.From)
		add(o.To)
	}
	for _, l := range s.Layers {
		add(l.Start)
		k := l.shift(from)
		if k < 0 {
			k = 0
		}
		for b := l.boundary(k); b.Before(to); k++ {
			add(b)
			b = l.boundary(k + 1)
		}
		if len(l.Restrict) > 0 {
			loc := l.loc()
			f := from.In(loc)
			for day := time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, loc); day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
				for _, r := range l.Restrict {
					add(time.Date(day.Year(), day.Month(), day.Day(), 0, r.Start, 0, 0, loc))
					add(time.Date(day.Year(), day.Month(), day.Day(), 0, r.End, 0, 0, loc))
				}
			}
		}
	}
	sort.Slice(points, func(i, j int) bool { return points[i].Before(points[j]) })
	var out []Shift
	for i, p := range points {
		if i > 0 && p.Equal(points[i-1]) {
			continue
		}
		oc := s.At(p)
		if n := len(out); n > 0 && out[n-1].OnCall == oc {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].To = p
		}
		out = append(out, Shift{From: p, OnCall: oc})
	}
	if n := len(out); n > 0 {
		out[n-1].To = to
	}
	return out
}

// Gaps returns the stretches of [from, to) with nobody on call.
func (s Schedule) Gaps(from, to time.Time) []Shift {
	var gaps []Shift
	for _, sh := range s.Shifts(from, to) {
		if sh.Source == Gap {
			gaps = append(gaps, sh)
		}
	}
	return gaps
}

// NextHandoff returns the first instant after t at which who is on call changes, looking at
// most horizon ahead; ok is false when nothing changes within it.
func (s Schedule) NextHandoff(t time.Time, horizon time.Duration) (time.Time, bool) {
	sh := s.Shifts(t, t.Add(horizon))
	if len(sh) < 2 {
		return time.Time{}, false
	}
	return sh[1].From, true
}
