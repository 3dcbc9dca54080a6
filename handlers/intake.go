package handlers

import (
	"compress/gzip"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/pipeline"
)

// Intake is the alert pipeline as the intake API needs it.
// intakeAPI serves POST /api/v1/alerts[/alertmanager|/grafana]: bearer token, body limit,
// parse, then persist-then-acknowledge through the pipeline.
type intakeAPI struct {
	db       *db.DB
	pipeline Pipeline
	global   string // ALERTDESK_INTAKE_TOKEN, "" = none
	maxBytes int64
	obs      IntakeObserver

	mu      sync.Mutex
	touched map[int64]time.Time // when each token's last use was last written
	known   map[string]knownToken
}

// knownToken caches a token lookup for a few seconds: intake runs thousands of requests a
// second and the token table rarely changes. Revoking a token in the console clears the
// cache at once; a revocation made elsewhere (another console on the database) takes effect within tokenCacheFor.
type knownToken struct {
	teamID  int64
	id      int64
	checked time.Time
}

const tokenCacheFor = time.Second // short: a revocation on another console sharing the database takes effect within it

// forgetTokens drops cached token lookups (after a token is revoked).
func (api *intakeAPI) forgetTokens() {
	api.mu.Lock()
	clear(api.known)
	api.mu.Unlock()
}

// DefaultIntakeMaxBytes is the intake body limit when none is configured: a realistic
// Kubernetes alert from Alertmanager is about 1.1 KiB (11.1 MB for 10,000 of them, see
// TestDefaultBodyLimitFitsTenThousandAlerts), so 32 MiB takes a 10,000-alert group with
// room for labels twice that size.
const DefaultIntakeMaxBytes = 32 << 20

// IntakeObserver counts what the intake refused or corrected (metrics.Intake).
type IntakeObserver interface {
	Refused(source, reason string, n int)
	Clamped(source string, n int)
	Truncated(n int)
}

type noIntakeObserver struct{}

func (noIntakeObserver) Refused(string, string, int) {}
func (noIntakeObserver) Clamped(string, int)         {}
func (noIntakeObserver) Truncated(int)               {}

// newIntakeAPI builds the intake endpoints' handler (nil without a pipeline).
func (s *Server) newIntakeAPI() *intakeAPI {
	if s.deps.Pipeline == nil {
		return nil
	}
	max := s.deps.Config.IntakeMaxBytes
	if max <= 0 {
		max = DefaultIntakeMaxBytes
	}
	obs := s.deps.IntakeObserver
	if obs == nil {
		obs = noIntakeObserver{}
	}
	return &intakeAPI{db: s.deps.DB, pipeline: s.deps.Pipeline, global: s.deps.Config.IntakeToken, maxBytes: max, obs: obs,
		touched: map[int64]time.Time{}, known: map[string]knownToken{}}
}

// apiAccepted answers a body that was read: how many alerts it held, how many were
// stored (new), duplicates of alerts already stored, and what was refused or corrected.
type apiAccepted struct {
	Status     string `json:"status"` // accepted | partly accepted | refused
	Alerts     int    `json:"alerts"`
	Stored     int    `json:"stored"`
	Duplicates int    `json:"duplicates"`
	Refused    int    `json:"refused"`
	Clamped    int    `json:"clamped,omitempty"`
	// TruncatedAlerts echoes Alertmanager's count of alerts it left out of the body.
	TruncatedAlerts int          `json:"truncatedAlerts,omitempty"`
	Errors          []apiRefusal `json:"errors,omitempty"` // the first maxListedRefusals
}

type apiRefusal struct {
	Kind  string `json:"kind"` // refused | clamped
	Index int    `json:"index"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// maxListedRefusals bounds the refusals listed in an answer; all are counted, and all
// are on the intake errors screen.
const maxListedRefusals = 100

// intakeRequest is what every intake route does first: authenticate and read the body.
// ok is false when an answer has already been written.
func (api *intakeAPI) intakeRequest(c echo.Context, source string) (teamID int64, body []byte, ok bool, err error) {
	ctx := c.Request().Context()
	teamID, ok, err = api.authenticate(ctx, c.Request().Header.Get("Authorization"))
	if err != nil {
		logger(c).Error("intake: token lookup failed", "error", err)
		return 0, nil, false, c.JSON(http.StatusServiceUnavailable, apiErr(codeUnavailable, "", t(c, "api.tokens_unavailable")))
	}
	if !ok {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="alertdesk"`)
		return 0, nil, false, c.JSON(http.StatusUnauthorized, apiErr(codeUnauthorized, "", t(c, "api.unauthorized_intake")))
	}
	body, status, e := api.readBody(c)
	if status != 0 {
		reason := "body"
		if status == http.StatusRequestEntityTooLarge {
			reason = "too_large"
		}
		api.obs.Refused(source, reason, 1)
		if source != alerting.SourceAPI {
			api.recordBody(c, teamID, source, e.Error)
		}
		return teamID, nil, false, c.JSON(status, e)
	}
	return teamID, body, true, nil
}

// readBody reads the request body, gunzipped when Content-Encoding says gzip, and
// applies the size limit to the bytes as decoded (a small gzip bomb is still too large).
// On failure status is the answer's status and e says why.
func (api *intakeAPI) readBody(c echo.Context) (body []byte, status int, e apiError) {
	req := c.Request()
	tooLarge := apiErr(codeBodyTooLarge, "body", t(c, "api.body_too_large_intake", "Limit", humanBytes(api.maxBytes)))
	var r io.Reader = http.MaxBytesReader(c.Response(), req.Body, api.maxBytes)
	switch enc := strings.ToLower(strings.TrimSpace(req.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			if tb := new(http.MaxBytesError); errors.As(err, &tb) {
				return nil, http.StatusRequestEntityTooLarge, tooLarge
			}
			return nil, http.StatusBadRequest, apiErr(codeInvalidBody, "body", t(c, "api.not_gzip"))
		}
		defer zr.Close()
		r = io.LimitReader(zr, api.maxBytes+1)
	default:
		return nil, http.StatusUnsupportedMediaType, apiErr(codeUnsupportedEncoding, "body", t(c, "api.unsupported_encoding", "Encoding", strconv.Quote(enc)))
	}
	body, err := io.ReadAll(r)
	var tb *http.MaxBytesError
	switch {
	case errors.As(err, &tb) || int64(len(body)) > api.maxBytes:
		return nil, http.StatusRequestEntityTooLarge, tooLarge
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, http.StatusBadRequest, apiErr(codeInvalidBody, "body", t(c, "api.gzip_damaged"))
	case err != nil:
		return nil, http.StatusBadRequest, apiErr(codeInvalidBody, "body", t(c, "api.unreadable_body"))
	}
	return body, 0, apiError{}
}

// handleAPI serves the console's own format: all or nothing, with a 400 naming the field.
func (api *intakeAPI) handleAPI(c echo.Context) error {
	teamID, body, ok, err := api.intakeRequest(c, alerting.SourceAPI)
	if !ok {
		return err
	}
	alerts, err := alerting.ParseJSON(body, alerting.Limits{Now: api.db.Now()})
	if err != nil {
		field := "body"
		var fe *alerting.FieldError
		if errors.As(err, &fe) {
			field = fe.Field
		}
		reason := alerting.Refusal{Field: field}.Reason()
		if reason == "other" {
			reason = "body"
		}
		api.obs.Refused(alerting.SourceAPI, reason, 1)
		return c.JSON(http.StatusBadRequest, parseError(c, err))
	}
	res, ok, err := api.ingest(c, teamID, alerts)
	if !ok {
		return err
	}
	return c.JSON(http.StatusAccepted, apiAccepted{Status: "accepted", Alerts: len(alerts), Stored: res.Stored, Duplicates: res.Duplicates})
}

// handleWebhook serves Alertmanager and Grafana: a body that cannot be read at all is
// refused whole (400); otherwise the valid alerts are stored, each bad one is refused
// with its reason (recorded on the intake errors screen and counted), and the answer is
// 2xx, since these senders never retry a 4xx and would lose the whole group.
func (api *intakeAPI) handleWebhook(source string, parse func([]byte, alerting.Limits) (alerting.Batch, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		teamID, body, ok, err := api.intakeRequest(c, source)
		if !ok {
			return err
		}
		b, err := parse(body, alerting.Limits{Now: api.db.Now()})
		if err != nil {
			e := parseError(c, err)
			api.obs.Refused(source, "body", 1)
			api.recordBody(c, teamID, source, e.Error)
			return c.JSON(http.StatusBadRequest, e)
		}
		total := len(b.Alerts) + len(b.Refused)
		for i := range b.Alerts { // the groups' messages count what the source left out
			b.Alerts[i].SourceTruncated = b.Truncated
		}
		res := pipeline.IngestResult{}
		if len(b.Alerts) > 0 {
			if res, ok, err = api.ingest(c, teamID, b.Alerts); !ok {
				return err
			}
		}
		api.recordBatch(c, teamID, source, total, b)
		out := apiAccepted{Status: "accepted", Alerts: total, Stored: res.Stored, Duplicates: res.Duplicates,
			Refused: len(b.Refused), Clamped: len(b.Clamped), TruncatedAlerts: b.Truncated}
		switch {
		case len(b.Alerts) == 0:
			out.Status = "refused"
		case len(b.Refused) > 0:
			out.Status = "partly accepted"
		}
		for _, list := range []struct {
			kind string
			rs   []alerting.Refusal
		}{{db.IntakeRefused, b.Refused}, {db.IntakeClamped, b.Clamped}} {
			for _, r := range list.rs {
				if len(out.Errors) == maxListedRefusals {
					break
				}
				out.Errors = append(out.Errors, apiRefusal{Kind: list.kind, Index: r.Index, Field: r.Field, Error: r.Message})
			}
		}
		return c.JSON(http.StatusAccepted, out)
	}
}

// parseError is the answer to a body the parser refused: invalid_field naming the field,
// or invalid_body. The parser's detail stays in its own (English) words inside the
// translated sentence.
func parseError(c echo.Context, err error) apiError {
	var fe *alerting.FieldError
	if errors.As(err, &fe) && fe.Field != "body" {
		return apiErr(codeInvalidField, fe.Field, t(c, "api.invalid_field", "Field", fe.Field, "Detail", fe.Message))
	}
	if fe != nil {
		return apiErr(codeInvalidBody, "body", t(c, "api.invalid_body", "Detail", fe.Message))
	}
	return apiErr(codeInvalidBody, "body", t(c, "api.invalid_body", "Detail", err.Error()))
}

// ingest stores alerts through the pipeline; when that fails (ok false) it has written
// the 5xx answer (senders retry a 5xx) and err is what writing it returned.
func (api *intakeAPI) ingest(c echo.Context, teamID int64, alerts []alerting.Alert) (res pipeline.IngestResult, ok bool, err error) {
	ctx := c.Request().Context()
	res, err = api.pipeline.Ingest(ctx, teamID, alerts)
	if err == nil {
		return res, true, nil
	}
	if ctx.Err() != nil {
		// The sender gave up waiting; the batch may still commit, and a redelivery is
		// absorbed as duplicates. Not "not stored": we do not know.
		logger(c).Warn("intake: the sender went away before the alerts were confirmed stored", "alerts", len(alerts))
		return res, false, c.JSON(http.StatusServiceUnavailable, apiErr(codeUnavailable, "", t(c, "api.not_confirmed")))
	}
	logger(c).Error("intake: alerts not stored", "error", err, "alerts", len(alerts))
	return res, false, c.JSON(http.StatusInternalServerError, apiErr(codeNotStored, "", t(c, "api.not_stored")))
}

// recordBatch puts a webhook body's refusals, clamps and truncation on the intake
// errors screen, counts them and logs one line. The alerts are stored by then: a failure
// here is logged and does not change the answer.
func (api *intakeAPI) recordBatch(c echo.Context, teamID int64, source string, total int, b alerting.Batch) {
	if len(b.Refused) == 0 && len(b.Clamped) == 0 && b.Truncated == 0 {
		return
	}
	now := api.db.Now()
	rows := make([]db.IntakeError, 0, len(b.Refused)+len(b.Clamped)+1)
	reasons := map[string]int{}
	for _, r := range b.Refused {
		reasons[r.Reason()]++
		rows = append(rows, db.IntakeError{At: now, Source: source, Kind: db.IntakeRefused, Field: r.Field, Reason: r.Message,
			AlertName: r.Name, AlertIndex: r.Index, Alerts: total})
	}
	for _, r := range b.Clamped {
		rows = append(rows, db.IntakeError{At: now, Source: source, Kind: db.IntakeClamped, Field: r.Field, Reason: r.Message,
			AlertName: r.Name, AlertIndex: r.Index, Alerts: total})
	}
	if b.Truncated > 0 {
		rows = append(rows, db.IntakeError{At: now, Source: source, Kind: db.IntakeTruncated, AlertIndex: -1, Alerts: b.Truncated,
			Reason: t(c, "api.source_truncated", "Count", b.Truncated)})
		api.obs.Truncated(b.Truncated)
	}
	for reason, n := range reasons {
		api.obs.Refused(source, reason, n)
	}
	if len(b.Clamped) > 0 {
		api.obs.Clamped(source, len(b.Clamped))
	}
	l := logger(c).With("source", source, "team", teamID, "alerts", total)
	if len(b.Refused) > 0 {
		l.Warn("intake: alerts refused, the others stored", "refused", len(b.Refused),
			"first_field", b.Refused[0].Field, "first_error", b.Refused[0].Message)
	}
	if len(b.Clamped) > 0 {
		l.Warn("intake: resolves stored with endsAt clamped", "clamped", len(b.Clamped), "first_error", b.Clamped[0].Message)
	}
	if b.Truncated > 0 {
		l.Warn("intake: Alertmanager truncated the body (max_alerts)", "truncated_alerts", b.Truncated)
	}
	if err := api.db.RecordIntakeErrors(context.WithoutCancel(c.Request().Context()), teamID, rows); err != nil {
		logger(c).Error("intake: could not record intake errors", "error", err, "rows", len(rows))
	}
}

// recordBody records a webhook body refused as a whole.
func (api *intakeAPI) recordBody(c echo.Context, teamID int64, source, msg string) {
	logger(c).Warn("intake: body refused, nothing stored", "source", source, "team", teamID, "error", msg)
	row := db.IntakeError{At: api.db.Now(), Source: source, Kind: db.IntakeBody, Field: "body", Reason: msg, AlertIndex: -1}
	if err := api.db.RecordIntakeErrors(context.WithoutCancel(c.Request().Context()), teamID, []db.IntakeError{row}); err != nil {
		logger(c).Error("intake: could not record intake errors", "error", err, "rows", 1)
	}
}

// authenticate resolves a bearer token to its team (0 = global).
func (api *intakeAPI) authenticate(ctx context.Context, header string) (teamID int64, ok bool, err error) {
	scheme, token, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return 0, false, nil
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return 0, false, nil
	}
	if api.global != "" && subtle.ConstantTimeCompare([]byte(token), []byte(api.global)) == 1 {
		return 0, true, nil
	}
	now := api.db.Now()
	api.mu.Lock()
	k, ok := api.known[token]
	api.mu.Unlock()
	if ok && now.Sub(k.checked) < tokenCacheFor {
		api.touch(ctx, k.id)
		return k.teamID, true, nil
	}
	t, err := api.db.TokenByPlain(ctx, token)
	if errors.Is(err, db.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if t.Scope != db.TokenIntake {
		return 0, false, nil // an incidents token posts no alerts
	}
	api.mu.Lock()
	if len(api.known) > 10_000 {
		clear(api.known)
	}
	api.known[token] = knownToken{teamID: t.TeamID, id: t.ID, checked: now}
	api.mu.Unlock()
	api.touch(ctx, t.ID)
	return t.TeamID, true, nil
}

// touch records a token's last use at most once a minute, so intake stays read-only for tokens.
func (api *intakeAPI) touch(ctx context.Context, id int64) {
	now := api.db.Now()
	api.mu.Lock()
	last := api.touched[id]
	if now.Sub(last) < time.Minute {
		api.mu.Unlock()
		return
	}
	api.touched[id] = now
	api.mu.Unlock()
	_ = api.db.TouchTokens(ctx, map[int64]time.Time{id: now})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}
