package main

import (
	"strings"
	"testing"

	"alertdesk/handlers"
)

func TestIntakeMaxBytesSetting(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := loadConfig(nil, env(nil))
	if err != nil || cfg.IntakeMaxBytes != handlers.DefaultIntakeMaxBytes {
		t.Fatalf("default: %d, %v", cfg.IntakeMaxBytes, err)
	}
	for in, want := range map[string]int64{"64MiB": 64 << 20, "64M": 64 << 20, "1 GiB": 1 << 30, "512kb": 512 << 10, "2097152": 2 << 20} {
		cfg, err := loadConfig(nil, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": in}))
		if err != nil || cfg.IntakeMaxBytes != want {
			t.Errorf("%q: %d, %v; want %d", in, cfg.IntakeMaxBytes, err, want)
		}
	}
	// The flag wins over the environment.
	cfg, err = loadConfig([]string{"-intake-max-bytes", "8MiB"}, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": "64MiB"}))
	if err != nil || cfg.IntakeMaxBytes != 8<<20 {
		t.Errorf("flag: %d, %v", cfg.IntakeMaxBytes, err)
	}
	for _, bad := range []string{"lots", "1.5MiB", "-1", "0", "1KiB", "2GiB", "32 parsecs", "9999999999999999999"} {
		_, err := loadConfig(nil, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": bad}))
		if err == nil || !strings.Contains(err.Error(), "ALERTDESK_INTAKE_MAX_BYTES") {
			t.Errorf("%q: error %v, want one naming the setting", bad, err)
		}
	}
}
