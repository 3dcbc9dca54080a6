package alerting

import (
	"encoding/json"
	"fmt"
	"time"
)

// The JSON forms below are how rules and silences keep these values (the db package
// stores them as JSON text). Decoding a matcher compiles it, so a stored rule is ready
// to match as soon as it is read.

type matcherJSON struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// MarshalJSON stores a matcher as {"name","op","value"}.
func (m Matcher) MarshalJSON() ([]byte, error) {
	return json.Marshal(matcherJSON{Name: m.Name, Op: string(m.Op), Value: m.Value})
}

// UnmarshalJSON reads a stored matcher and compiles it.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	var j matcherJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	cm, err := NewMatcher(j.Name, MatchOp(j.Op), j.Value)
	if err != nil {
		return fmt.Errorf("alerting: stored matcher %s%s%q: %w", j.Name, j.Op, j.Value, err)
	}
	*m = cm
	return nil
}

type conditionJSON struct {
	Metric    string  `json:"metric"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
	ForMS     int64   `json:"for_ms"`
}

// MarshalJSON stores a condition with its duration in milliseconds.
func (c Condition) MarshalJSON() ([]byte, error) {
	return json.Marshal(conditionJSON{Metric: c.Metric, Op: string(c.Op), Threshold: c.Threshold, ForMS: c.For.Milliseconds()})
}

// UnmarshalJSON reads a stored condition.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var j conditionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Condition{Metric: j.Metric, Op: Comparison(j.Op), Threshold: j.Threshold, For: time.Duration(j.ForMS) * time.Millisecond}
	return nil
}
