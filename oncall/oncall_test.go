package oncall

import (
	"testing"
	"time"
	_ "time/tzdata" // the zones below on machines without a zoneinfo database
)

const (
	alice = 1
	bob   = 2
	carol = 3
	dave  = 4
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func wall(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

func weekdays(start, end int) []Window {
	var w []Window
	for d := time.Monday; d <= time.Friday; d++ {
		w = append(w, Window{Day: d, Start: start, End: end})
	}
	return w
}

// The answers below are worked by hand; the comments give the working. A rotation that
// added 24 h (or 168 h) of elapsed time per shift would get each DST case wrong by an hour.
func TestScheduleAt(t *testing.T) {
	ny := zone(t, "America/New_York")
	berlin := zone(t, "Europe/Berlin")
	shanghai := zone(t, "Asia/Shanghai")

	// Daily at 09:00 New York, from Fri 2026-03-06 09:00 EST (14:00 UTC): Fri alice, Sat bob,
	// Sun 03-08 carol from 09:00 EDT = 13:00 UTC (clocks went forward at 02:00 that morning).
	nyDaily := Schedule{Layers: []Layer{{Members: []int64{alice, bob, carol}, ShiftLength: 1, Unit: Days,
		Start: wall(ny, "2026-03-06 09:00"), Location: ny}}}
	// Twelve hours at 08:00/20:00 New York, from Sat 2026-10-31 08:00 EDT (12:00 UTC): alice until
	// 20:00 EDT (00:00 UTC), bob until Sun 11-01 08:00 EST (13:00 UTC: a 13-hour night, 01:00–02:00
	// happens twice), then alice until 20:00 EST (11-02 01:00 UTC).
	nyHalfDays := Schedule{Layers: []Layer{{Members: []int64{alice, bob}, ShiftLength: 12, Unit: Hours,
		Start: wall(ny, "2026-10-31 08:00"), Location: ny}}}
	// Weekly on Monday 10:00 Berlin from 2026-03-23 10:00 CET (09:00 UTC): alice, then bob from
	// Mon 03-30 10:00 CEST = 08:00 UTC (summer time began Sun 03-29).
	// Autumn: week of 2026-10-19 is (30 weeks on: even) alice, 10-26 bob from 10:00 CET = 09:00 UTC
	// (summer time ended Sun 10-25).
	berlinWeekly := Schedule{Layers: []Layer{{Members: []int64{alice, bob}, ShiftLength: 1, Unit: Weeks,
		Start: wall(berlin, "2026-03-23 10:00"), Location: berlin}}}
	// Business hours (Mon–Fri 09:00–17:00 Berlin) above a 24/7 weekly base in Shanghai.
	layered := Schedule{Layers: []Layer{
		{Members: []int64{carol}, ShiftLength: 1, Unit: Weeks, Start: wall(berlin, "2026-03-02 09:00"),
			Location: berlin, Restrict: weekdays(9*60, 17*60)},
		{Members: []int64{alice, bob}, ShiftLength: 1, Unit: Weeks, Start: wall(shanghai, "2026-03-02 00:00"),
			Location: shanghai},
	}}
	// Business hours only: outside them there is a gap.
	officeOnly := Schedule{Layers: layered.Layers[:1]}
	// Nights 18:00–08:00 New York, every day, over the spring-forward night.
	nights := Schedule{Layers: []Layer{{Members: []int64{dave}, ShiftLength: 1, Unit: Weeks,
		Start: wall(ny, "2026-03-02 00:00"), Location: ny,
		Restrict: []Window{{Day: time.Saturday, Start: 18 * 60, End: 8 * 60}}}}}
	withOverride := Schedule{Layers: berlinWeekly.Layers, Overrides: []Override{
		{Contact: dave, From: utc("2026-03-25 00:00"), To: utc("2026-03-26 00:00")},
		{Contact: carol, From: utc("2026-03-25 12:00"), To: utc("2026-03-25 13:00")}, // later wins
	}}

	tests := []struct {
		name  string
		s     Schedule
		at    time.Time
		want  int64
		src   Source
		layer int
	}{
		{"ny daily before start", nyDaily, utc("2026-03-06 13:59"), 0, Gap, -1},
		{"ny daily first shift", nyDaily, utc("2026-03-06 14:00"), alice, FromLayer, 0},
		{"ny daily saturday", nyDaily, utc("2026-03-07 14:00"), bob, FromLayer, 0},
		{"ny spring forward: 08:59 EDT still bob", nyDaily, utc("2026-03-08 12:59"), bob, FromLayer, 0},
		{"ny spring forward: 09:00 EDT carol", nyDaily, utc("2026-03-08 13:00"), carol, FromLayer, 0},
		{"ny spring forward: 09:30 EDT carol", nyDaily, utc("2026-03-08 13:30"), carol, FromLayer, 0},
		{"ny after spring forward wraps", nyDaily, utc("2026-03-09 13:00"), alice, FromLayer, 0},
		{"ny fall back: 07:30 EST still bob", nyHalfDays, utc("2026-11-01 12:30"), bob, FromLayer, 0},
		{"ny fall back: 08:00 EST alice", nyHalfDays, utc("2026-11-01 13:00"), alice, FromLayer, 0},
		{"ny fall back: 19:59 EST alice", nyHalfDays, utc("2026-11-02 00:59"), alice, FromLayer, 0},
		{"ny fall back: 20:00 EST bob", nyHalfDays, utc("2026-11-02 01:00"), bob, FromLayer, 0},
		{"berlin spring: 09:59 CEST still alice", berlinWeekly, utc("2026-03-30 07:59"), alice, FromLayer, 0},
		{"berlin spring: 10:00 CEST bob", berlinWeekly, utc("2026-03-30 08:00"), bob, FromLayer, 0},
		{"berlin spring: 10:30 CEST bob", berlinWeekly, utc("2026-03-30 08:30"), bob, FromLayer, 0},
		{"berlin autumn: 09:59 CET still alice", berlinWeekly, utc("2026-10-26 08:59"), alice, FromLayer, 0},
		{"berlin autumn: 10:00 CET bob", berlinWeekly, utc("2026-10-26 09:00"), bob, FromLayer, 0},
		// Wed 2026-03-04 10:00 CET: carol in office hours.
		{"office hours layer decides", layered, utc("2026-03-04 09:00"), carol, FromLayer, 0},
		// Wed 2026-03-04 17:00 CET: office closed; base layer week 0 = alice.
		{"after hours base layer", layered, utc("2026-03-04 16:00"), alice, FromLayer, 1},
		// Sat 2026-03-07 12:00 CET: weekend, base layer alice.
		{"weekend base layer", layered, utc("2026-03-07 11:00"), alice, FromLayer, 1},
		// Base layer hands off Mon 2026-03-09 00:00 Shanghai = Sun 03-08 16:00 UTC.
		{"base layer second week", layered, utc("2026-03-08 16:00"), bob, FromLayer, 1},
		// Office hours after Berlin's spring change: Mon 03-30 09:00 CEST = 07:00 UTC.
		{"office opens 09:00 CEST", layered, utc("2026-03-30 07:00"), carol, FromLayer, 0},
		{"08:59 CEST still closed", layered, utc("2026-03-30 06:59"), alice, FromLayer, 1},
		{"gap at weekend", officeOnly, utc("2026-03-07 11:00"), 0, Gap, -1},
		{"gap at night", officeOnly, utc("2026-03-04 20:00"), 0, Gap, -1},
		// Sat 03-07 18:00 EST = 23:00 UTC to Sun 03-08 08:00 EDT = 12:00 UTC (13 hours that night).
		{"night starts 18:00 EST", nights, utc("2026-03-07 23:00"), dave, FromLayer, 0},
		{"night 07:59 EDT", nights, utc("2026-03-08 11:59"), dave, FromLayer, 0},
		{"night ends 08:00 EDT", nights, utc("2026-03-08 12:00"), 0, Gap, -1},
		{"night not on friday", nights, utc("2026-03-07 03:00"), 0, Gap, -1},
		{"override above layers", withOverride, utc("2026-03-25 06:00"), dave, FromOverride, -1},
		{"later override wins", withOverride, utc("2026-03-25 12:30"), carol, FromOverride, -1},
		{"override ends", withOverride, utc("2026-03-26 00:00"), alice, FromLayer, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.At(tt.at)
			if got.Contact != tt.want || got.Source != tt.src || got.Layer != tt.layer {
				t.Errorf("At(%s) = %+v, want contact %d source %d layer %d", tt.at, got, tt.want, tt.src, tt.layer)
			}
		})
	}
}

func TestScheduleShifts(t *testing.T) {
	ny := zone(t, "America/New_York")
	s := Schedule{
		Layers: []Layer{{Members: []int64{alice, bob, carol}, ShiftLength: 1, Unit: Days,
			Start: wall(ny, "2026-03-06 09:00"), Location: ny}},
		Overrides: []Override{{Contact: dave, From: utc("2026-03-07 20:00"), To: utc("2026-03-07 22:00")}},
	}
	got := s.Shifts(utc("2026-03-06 00:00"), utc("2026-03-09 00:00"))
	want := []Shift{
		{From: utc("2026-03-06 00:00"), To: utc("2026-03-06 14:00"), OnCall: OnCall{Layer: -1}},
		{From: utc("2026-03-06 14:00"), To: utc("2026-03-07 14:00"), OnCall: OnCall{Contact: alice, Source: FromLayer}},
		{From: utc("2026-03-07 14:00"), To: utc("2026-03-07 20:00"), OnCall: OnCall{Contact: bob, Source: FromLayer}},
		{From: utc("2026-03-07 20:00"), To: utc("2026-03-07 22:00"), OnCall: OnCall{Contact: dave, Source: FromOverride, Layer: -1}},
		// Bob's Saturday shift ends at 09:00 EDT: 23 hours after it began.
		{From: utc("2026-03-07 22:00"), To: utc("2026-03-08 13:00"), OnCall: OnCall{Contact: bob, Source: FromLayer}},
		{From: utc("2026-03-08 13:00"), To: utc("2026-03-09 00:00"), OnCall: OnCall{Contact: carol, Source: FromLayer}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d shifts, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) || got[i].OnCall != want[i].OnCall {
			t.Errorf("shift %d = %s–%s %+v, want %s–%s %+v", i, got[i].From.UTC(), got[i].To.UTC(), got[i].OnCall,
				want[i].From, want[i].To, want[i].OnCall)
		}
	}

	gaps := s.Gaps(utc("2026-03-06 00:00"), utc("2026-03-09 00:00"))
	if len(gaps) != 1 || !gaps[0].To.Equal(utc("2026-03-06 14:00")) {
		t.Errorf("gaps = %+v, want the one before the first hand-off", gaps)
	}
	next, ok := s.NextHandoff(utc("2026-03-08 12:00"), 48*time.Hour)
	if !ok || !next.Equal(utc("2026-03-08 13:00")) {
		t.Errorf("NextHandoff = %s %v, want 2026-03-08 13:00 UTC", next, ok)
	}
}

func TestRestrictedShiftsGaps(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	s := Schedule{Layers: []Layer{{Members: []int64{carol}, ShiftLength: 1, Unit: Weeks,
		Start: wall(berlin, "2026-03-02 00:00"), Location: berlin, Restrict: weekdays(9*60, 17*60)}}}
	// Fri 2026-03-27 CET and Mon 2026-03-30 CEST: office hours 08:00–16:00 UTC then 07:00–15:00 UTC.
	got := s.Shifts(utc("2026-03-27 00:00"), utc("2026-03-31 00:00"))
	want := [][2]string{
		{"2026-03-27 00:00", "2026-03-27 08:00"},
		{"2026-03-27 08:00", "2026-03-27 16:00"},
		{"2026-03-27 16:00", "2026-03-30 07:00"},
		{"2026-03-30 07:00", "2026-03-30 15:00"},
		{"2026-03-30 15:00", "2026-03-31 00:00"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d shifts, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if !got[i].From.Equal(utc(w[0])) || !got[i].To.Equal(utc(w[1])) {
			t.Errorf("shift %d = %s–%s, want %s–%s", i, got[i].From.UTC(), got[i].To.UTC(), w[0], w[1])
		}
		if wantGap := i%2 == 0; (got[i].Source == Gap) != wantGap {
			t.Errorf("shift %d gap = %v, want %v", i, got[i].Source == Gap, wantGap)
		}
	}
}
