package alerting

import (
	"testing"
	"time"
)

func TestSilence(t *testing.T) {
	start := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	ms, err := ParseMatchers(`alertname="NodeDown", instance=~"n1:.*"`)
	if err != nil {
		t.Fatal(err)
	}
	s := Silence{ID: 1, Matchers: ms, StartsAt: start, EndsAt: start.Add(2 * time.Hour)}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	n1 := map[string]string{"alertname": "NodeDown", "instance": "n1:9100"}
	n2 := map[string]string{"alertname": "NodeDown", "instance": "n2:9100"}
	tests := []struct {
		at     time.Duration
		labels map[string]string
		active bool
		mutes  bool
	}{
		{-time.Second, n1, false, false},
		{0, n1, true, true},
		{time.Hour, n1, true, true},
		{time.Hour, n2, true, false},
		{2*time.Hour - time.Nanosecond, n1, true, true},
		{2 * time.Hour, n1, false, false},
	}
	for _, tt := range tests {
		now := start.Add(tt.at)
		if got := s.Active(now); got != tt.active {
			t.Errorf("Active(t+%v) = %v, want %v", tt.at, got, tt.active)
		}
		if got := s.Mutes(tt.labels, now); got != tt.mutes {
			t.Errorf("Mutes(%v, t+%v) = %v, want %v", tt.labels, tt.at, got, tt.mutes)
		}
	}
	if (Silence{StartsAt: start, EndsAt: start.Add(time.Hour)}).Mutes(n1, start) {
		t.Errorf("a silence without matchers mutes, want it to mute nothing")
	}

	all, _ := ParseMatchers(`team=~".*"`)
	bad := []struct {
		s    Silence
		want string
	}{
		{Silence{StartsAt: start, EndsAt: start.Add(time.Hour)}, "at least one matcher is required"},
		{Silence{Matchers: all, StartsAt: start, EndsAt: start.Add(time.Hour)}, "the matchers would match every alert: add one that needs a label to be present"},
		{Silence{Matchers: ms, StartsAt: start, EndsAt: start}, "the end must be after the start"},
		{Silence{Matchers: ms, EndsAt: start}, "start and end times are required"},
	}
	for _, tt := range bad {
		if err := tt.s.Validate(); err == nil || err.Error() != tt.want {
			t.Errorf("Validate(%+v) = %v, want %q", tt.s, err, tt.want)
		}
	}
}

func TestQuietWindow(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-23 is a Monday.
	utc := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, time.UTC) }
	sh := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, shanghai) }
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	tests := []struct {
		name string
		w    QuietWindow
		t    time.Time
		want bool
	}{
		{"daytime inside", QuietWindow{Days: weekdays, From: "09:00", To: "18:00"}, utc(23, 9, 0), true},
		{"daytime end is exclusive", QuietWindow{Days: weekdays, From: "09:00", To: "18:00"}, utc(23, 18, 0), false},
		{"daytime before", QuietWindow{Days: weekdays, From: "09:00", To: "18:00"}, utc(23, 8, 59), false},
		{"daytime wrong day", QuietWindow{Days: weekdays, From: "09:00", To: "18:00"}, utc(29, 10, 0), false},
		{"whole day", QuietWindow{Days: []time.Weekday{time.Sunday}, From: "00:00", To: "24:00"}, utc(29, 23, 59), true},
		// Friday 22:00–06:00 belongs to Friday: it covers Saturday morning, not Friday morning.
		{"overnight evening", QuietWindow{Days: []time.Weekday{time.Friday}, From: "22:00", To: "06:00"}, utc(27, 23, 30), true},
		{"overnight next morning", QuietWindow{Days: []time.Weekday{time.Friday}, From: "22:00", To: "06:00"}, utc(28, 5, 59), true},
		{"overnight ends", QuietWindow{Days: []time.Weekday{time.Friday}, From: "22:00", To: "06:00"}, utc(28, 6, 0), false},
		{"overnight same-day morning", QuietWindow{Days: []time.Weekday{time.Friday}, From: "22:00", To: "06:00"}, utc(27, 5, 0), false},
		{"overnight Saturday evening", QuietWindow{Days: []time.Weekday{time.Friday}, From: "22:00", To: "06:00"}, utc(28, 23, 0), false},
		{"overnight Sunday into Monday", QuietWindow{Days: []time.Weekday{time.Sunday}, From: "20:00", To: "08:00"}, utc(23, 7, 0), true},
		{"overnight Saturday into Sunday", QuietWindow{Days: []time.Weekday{time.Saturday}, From: "20:00", To: "08:00"}, utc(29, 7, 0), true},
		// Asia/Shanghai is UTC+8: 02:00 UTC Monday is 10:00 Monday there.
		{"Shanghai daytime", QuietWindow{Days: weekdays, From: "09:00", To: "18:00", TimeZone: "Asia/Shanghai"}, utc(23, 2, 0), true},
		{"Shanghai not yet", QuietWindow{Days: weekdays, From: "09:00", To: "18:00", TimeZone: "Asia/Shanghai"}, utc(23, 0, 30), false},
		{"Shanghai day differs from UTC", QuietWindow{Days: []time.Weekday{time.Monday}, From: "00:00", To: "08:00", TimeZone: "Asia/Shanghai"}, utc(22, 17, 0), true},
		{"Shanghai overnight", QuietWindow{Days: []time.Weekday{time.Monday}, From: "22:00", To: "07:00", TimeZone: "Asia/Shanghai"}, sh(24, 6, 59), true},
		{"Shanghai overnight over", QuietWindow{Days: []time.Weekday{time.Monday}, From: "22:00", To: "07:00", TimeZone: "Asia/Shanghai"}, sh(24, 7, 0), false},
		{"invalid window contains nothing", QuietWindow{Days: weekdays, From: "9:00", To: "18:00"}, utc(23, 10, 0), false},
		{"unknown zone contains nothing", QuietWindow{Days: weekdays, From: "09:00", To: "18:00", TimeZone: "Mars/Base"}, utc(23, 10, 0), false},
	}
	for _, tt := range tests {
		if got := tt.w.Contains(tt.t); got != tt.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
}

func TestQuietWindowValidate(t *testing.T) {
	days := []time.Weekday{time.Monday}
	tests := []struct {
		w    QuietWindow
		want string
	}{
		{QuietWindow{Days: days, From: "22:00", To: "06:00", TimeZone: "Asia/Shanghai"}, ""},
		{QuietWindow{Days: days, From: "00:00", To: "24:00"}, ""},
		{QuietWindow{From: "22:00", To: "06:00"}, "pick at least one day"},
		{QuietWindow{Days: []time.Weekday{7}, From: "22:00", To: "06:00"}, "day 7 is not a weekday (0 = Sunday … 6 = Saturday)"},
		{QuietWindow{Days: days, From: "24:00", To: "06:00"}, `from: "24:00" is not a time of day like 08:30`},
		{QuietWindow{Days: days, From: "9:00", To: "06:00"}, `from: "9:00" is not a time of day like 08:30`},
		{QuietWindow{Days: days, From: "09:00", To: "06:60"}, `to: "06:60" is not a time of day like 08:30`},
		{QuietWindow{Days: days, From: "+9:00", To: "06:00"}, `from: "+9:00" is not a time of day like 08:30`},
		{QuietWindow{Days: days, From: "06:00", To: "06:00"}, "from and to are the same time: use 00:00 to 24:00 for a whole day"},
		{QuietWindow{Days: days, From: "06:00", To: "07:00", TimeZone: "Mars/Base"}, `unknown time zone "Mars/Base" (use an IANA name like Asia/Shanghai)`},
		{QuietWindow{Days: days, From: "06:00", To: "07:00", TimeZone: "Local"}, `unknown time zone "Local" (use an IANA name like Asia/Shanghai)`},
	}
	for _, tt := range tests {
		err := tt.w.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Validate(%+v) = %q, want %q", tt.w, got, tt.want)
		}
	}
}
