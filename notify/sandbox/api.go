package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"alertdesk/notify"
)

// platformNames lists the accepted platform names for error messages:
// "dingtalk", "feishu", "lark", "wecom".
var platformNames = func() string {
	names := make([]string, len(notify.Platforms))
	for i, p := range notify.Platforms {
		names[i] = strconv.Quote(string(p))
	}
	return strings.Join(names, ", ")
}()

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// GET /messages[?token=T]: recorded requests, newest first.
func (s *Sandbox) apiMessages(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.messages(r.URL.Query().Get("token")))
}

// GET /robots
func (s *Sandbox) apiRobots(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Robots())
}

// POST /robots with a RobotConfig: 201 with the stored config (generated token/secret included).
func (s *Sandbox) apiAddRobot(w http.ResponseWriter, r *http.Request) {
	var cfg RobotConfig
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		apiError(w, http.StatusBadRequest, "the body must be a JSON robot config: "+err.Error())
		return
	}
	if p, ok := notify.ParsePlatform(string(cfg.Platform)); ok {
		cfg.Platform = p
	} else {
		apiError(w, http.StatusBadRequest, "platform must be one of "+platformNames)
		return
	}
	if !cfg.Fault.Valid() {
		apiError(w, http.StatusBadRequest, "unknown fault "+string(cfg.Fault))
		return
	}
	writeJSON(w, http.StatusCreated, s.AddRobot(cfg))
}

// POST /robots/{token}/fault with {"fault":"busy"} ("" clears it).
func (s *Sandbox) apiFault(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Fault Fault `json:"fault"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&in); err != nil {
		apiError(w, http.StatusBadRequest, `the body must be {"fault":"…"}`)
		return
	}
	if !in.Fault.Valid() {
		apiError(w, http.StatusBadRequest, "unknown fault "+string(in.Fault))
		return
	}
	token := r.PathValue("token")
	if !s.SetFault(token, in.Fault) {
		apiError(w, http.StatusNotFound, "no such robot")
		return
	}
	cfg, _ := s.Robot(token)
	writeJSON(w, http.StatusOK, cfg)
}
