package alerting

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones for quiet hours on machines without a zoneinfo database
)

// Silence mutes the alerts its matchers select between StartsAt and EndsAt.
type Silence struct {
	ID                 int64
	Matchers           Matchers
	StartsAt, EndsAt   time.Time
	Comment, CreatedBy string
}

// Validate checks a silence before it is saved. Like Alertmanager, it refuses
// a silence whose matchers all match an empty label set: it would mute every
// alert.
func (s Silence) Validate() error {
	if len(s.Matchers) == 0 {
		return errors.New("at least one matcher is required")
	}
	if ok, _ := s.Matchers.Match(nil); ok {
		return errors.New("the matchers would match every alert: add one that needs a label to be present")
	}
	if s.StartsAt.IsZero() || s.EndsAt.IsZero() {
		return errors.New("start and end times are required")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return errors.New("the end must be after the start")
	}
	return nil
}

// Active reports whether now is within [StartsAt, EndsAt).
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Mutes reports whether the silence is active at now and its matchers select
// labels. A silence without matchers mutes nothing.
func (s Silence) Mutes(labels map[string]string, now time.Time) bool {
	if len(s.Matchers) == 0 || !s.Active(now) {
		return false
	}
	ok, _ := s.Matchers.Match(labels)
	return ok
}

// QuietWindow is a weekly window in which a rule's notifications are held
// back. From and To are "HH:MM" wall-clock times in TimeZone (IANA, "" =
// UTC); To may be "24:00". A window whose To is earlier than its From runs
// overnight and belongs to the day it starts: Friday 22:00–06:00 covers
// Friday 22:00 to Saturday 06:00.
type QuietWindow struct {
	Days     []time.Weekday `json:"days"` // 0 = Sunday … 6 = Saturday
	From     string         `json:"from"`
	To       string         `json:"to"`
	TimeZone string         `json:"tz"`
}

// Validate checks the window; its errors are written for the rule form.
func (w QuietWindow) Validate() error {
	if len(w.Days) == 0 {
		return errors.New("pick at least one day")
	}
	for _, d := range w.Days {
		if d < time.Sunday || d > time.Saturday {
			return fmt.Errorf("day %d is not a weekday (0 = Sunday … 6 = Saturday)", int(d))
		}
	}
	from, err := parseClock(w.From, false)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	to, err := parseClock(w.To, true)
	if err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if from == to {
		return errors.New("from and to are the same time: use 00:00 to 24:00 for a whole day")
	}
	if _, err := location(w.TimeZone); err != nil {
		return err
	}
	return nil
}

// Contains reports whether t falls in the window. An invalid window contains nothing.
func (w QuietWindow) Contains(t time.Time) bool {
	from, err := parseClock(w.From, false)
	if err != nil {
		return false
	}
	to, err := parseClock(w.To, true)
	if err != nil || from == to {
		return false
	}
	loc, err := location(w.TimeZone)
	if err != nil {
		return false
	}
	t = t.In(loc)
	minute := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if from < to {
		return minute >= from && minute < to && slices.Contains(w.Days, day)
	}
	// Overnight: the evening part belongs to today, the morning part to yesterday's window.
	if minute >= from {
		return slices.Contains(w.Days, day)
	}
	if minute < to {
		return slices.Contains(w.Days, (day+6)%7)
	}
	return false
}

// parseClock parses "HH:MM" into minutes after midnight; allow24 permits "24:00".
func parseClock(s string, allow24 bool) (int, error) {
	bad := fmt.Errorf("%q is not a time of day like 08:30", truncateForError(s))
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[3] == '+' || s[0] == '-' || s[3] == '-' {
		return 0, bad
	}
	if allow24 && h == 24 && m == 0 {
		return 24 * 60, nil
	}
	if h > 23 || m > 59 {
		return 0, bad
	}
	return h*60 + m, nil
}

var zones sync.Map // name → *time.Location; time.LoadLocation does not cache

func location(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q (use an IANA name like Asia/Shanghai)", truncateForError(name))
	}
	zones.Store(name, loc)
	return loc, nil
}
