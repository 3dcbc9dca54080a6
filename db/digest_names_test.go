package db

import "testing"

// A digest of one alert name over many nodes listed the name fifty times; each line now
// says where the alert fires.
func TestInstanceOf(t *testing.T) {
	for labels, want := range map[string]string{
		`{"alertname":"NodeDown","instance":"10.0.0.7:9100","job":"node"}`: "10.0.0.7:9100",
		`{"alertname":"PodCrash","pod":"api-7f9c"}`:                        "api-7f9c",
		`{"alertname":"Watchdog"}`:                                         "",
		`not json`:                                                         "",
	} {
		if got := instanceOf(labels); got != want {
			t.Errorf("instanceOf(%s) = %q, want %q", labels, got, want)
		}
	}
}
