// Command seed fills a data directory with realistic synthetic delivery history, so the
// history, dashboard and CSV export can be tried and measured at scale:
//
//	go run ./cmd/seed -data ./data-seed -attempts 1000000
//	ALERTDESK_DATA_DIR=./data-seed go run ./cmd/web
//
// It creates 5 teams with a member each, 50 robots (every platform, credentials encrypted
// with the data directory's key), 200 rules, and delivery attempts over 90 days with
// notifications, alerts and the links between them. The console opens the result as is.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"alertdesk/db"
	"alertdesk/keys"
	"alertdesk/password"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// options are the seed's flags.
type options struct {
	DataDir       string
	Attempts      int
	Days          int
	Teams         int
	Robots        int
	Rules         int
	AdminPassword string
	Seed          uint64
	Now           time.Time
}

func parseFlags(args []string) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.DataDir, "data", "./data-seed", "data directory to fill (created when missing)")
	fs.IntVar(&o.Attempts, "attempts", 1_000_000, "delivery attempts to create")
	fs.IntVar(&o.Days, "days", 90, "days of history, ending now")
	fs.IntVar(&o.Teams, "teams", 5, "teams")
	fs.IntVar(&o.Robots, "robots", 50, "robots, spread over the teams and platforms")
	fs.IntVar(&o.Rules, "rules", 200, "alert rules, spread over the teams")
	fs.StringVar(&o.AdminPassword, "admin-password", "admin-password-123", "password of admin and the team members")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed (same seed, same data)")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("flags: %w", err)
	}
	switch {
	case o.Attempts < 0 || o.Days < 1 || o.Teams < 1 || o.Robots < o.Teams || o.Rules < o.Teams:
		return o, errors.New("flags: want attempts >= 0, days >= 1, teams >= 1, robots and rules >= teams")
	case password.Check(o.AdminPassword) != nil:
		return o, errors.New("flags: -admin-password: " + password.Advice(password.Check(o.AdminPassword)))
	}
	o.Now = time.Now()
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	key, err := dataKey(o.DataDir)
	if err != nil {
		return err
	}
	path := filepath.Join(o.DataDir, "alertdesk.db") // the file cmd/web opens
	start := time.Now()
	d, err := db.Open(ctx, path, db.Options{DataKey: key})
	if err != nil {
		return err
	}
	w, err := setup(ctx, d, o)
	d.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seed: %d teams, %d robots, users admin and %s (password %q)\n",
		len(w.teams), len(w.robots), strings.Join(w.members, ", "), o.AdminPassword)
	st, err := bulk(ctx, path, o, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "seed: %d rules, %d delivery attempts, %d notifications, %d alerts in %s\n",
		st.rules, st.attempts, st.notifications, st.alerts, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(out, "seed: run the console with ALERTDESK_DATA_DIR=%s go run ./cmd/web\n", o.DataDir)
	return nil
}

// dataKey reads the data key from <dir>/keys.json, creating the file as cmd/web does, so
// the console can open the seeded directory and decrypt its robots.
func dataKey(dir string) ([]byte, error) {
	k, err := keys.Load(dir)
	return k.Data, err
}

type seedRobot struct {
	ID       int64
	TeamID   int64
	Name     string
	Platform string
	Token    string
}

type seedRule struct {
	ID       int64
	TeamID   int64
	Name     string
	Severity string
	Robots   []int // indexes into world.robots
}

// world is what the bulk phase draws from.
type world struct {
	teams   []db.Team
	robots  []seedRobot
	rules   []seedRule
	members []string
}

var teamNames = []string{"payments", "search", "infra", "mobile", "data", "growth", "identity", "storage", "edge", "billing"}

var platforms = []string{"dingtalk", "feishu", "lark", "wecom"}

// setup creates users, teams and robots through db, so passwords are hashed and webhooks
// encrypted exactly as the console does it.
func setup(ctx context.Context, d *db.DB, o options) (world, error) {
	var w world
	n, err := d.CountUsers(ctx)
	if err != nil {
		return w, err
	}
	hash, err := password.Hash(o.AdminPassword)
	if err != nil {
		return w, err
	}
	if n == 0 {
		if _, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: "admin", DisplayName: "Administrator",
			PasswordHash: hash, Role: db.RoleAdmin}); err != nil {
			return w, fmt.Errorf("create admin: %w", err)
		}
	}
	for i := range o.Teams {
		name := fmt.Sprintf("team-%d", i+1)
		if i < len(teamNames) {
			name = teamNames[i]
		}
		t, err := d.TeamByName(ctx, name)
		if errors.Is(err, db.ErrNotFound) {
			t, err = d.CreateTeam(ctx, db.SystemActor, name)
		}
		if err != nil {
			return w, fmt.Errorf("team %s: %w", name, err)
		}
		w.teams = append(w.teams, t)
		user := name + "-lead"
		if _, err := d.UserByUsername(ctx, user); errors.Is(err, db.ErrNotFound) {
			if _, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: user, DisplayName: "Lead of " + name,
				PasswordHash: hash, Role: db.RoleMember, TeamID: t.ID}); err != nil {
				return w, fmt.Errorf("create %s: %w", user, err)
			}
		} else if err != nil {
			return w, err
		}
		w.members = append(w.members, user)
	}
	existing, err := d.Robots(ctx, db.AllTeams)
	if err != nil {
		return w, err
	}
	have := map[string]db.Robot{}
	for _, r := range existing {
		have[fmt.Sprint(r.TeamID, "/", r.Name)] = r
	}
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	for i := range o.Robots {
		t := w.teams[i%len(w.teams)]
		p := platforms[(i/len(w.teams))%len(platforms)]
		name := fmt.Sprintf("%s %s #%d", t.Name, p, i/len(w.teams)+1)
		token := hexOf(rng, 32)
		if r, ok := have[fmt.Sprint(t.ID, "/", name)]; ok {
			w.robots = append(w.robots, seedRobot{ID: r.ID, TeamID: t.ID, Name: name, Platform: p, Token: token})
			continue
		}
		in := db.RobotInput{TeamID: t.ID, Name: name, Platform: p, WebhookURL: webhookURL(p, token), Enabled: true}
		in.WebhookHint = webhookHost(p) + " …" + token[len(token)-4:]
		if p == "dingtalk" {
			in.Secret = "SEC" + hexOf(rng, 32)
			in.SecretHint = "…" + in.Secret[len(in.Secret)-4:]
			in.Keywords = []string{"alert"}
		}
		r, err := d.CreateRobot(ctx, db.SystemActor, in)
		if err != nil {
			return w, fmt.Errorf("robot %s: %w", name, err)
		}
		w.robots = append(w.robots, seedRobot{ID: r.ID, TeamID: t.ID, Name: name, Platform: p, Token: token})
	}
	return w, nil
}

func hexOf(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func webhookHost(p string) string {
	switch p {
	case "dingtalk":
		return "oapi.dingtalk.com"
	case "feishu":
		return "open.feishu.cn"
	case "lark":
		return "open.larksuite.com"
	}
	return "qyapi.weixin.qq.com"
}

func webhookURL(p, token string) string {
	switch p {
	case "dingtalk":
		return "https://oapi.dingtalk.com/robot/send?access_token=" + token
	case "feishu", "lark":
		return "https://" + webhookHost(p) + "/open-apis/bot/v2/hook/" + token
	}
	return "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + token
}

// maskedURL is the webhook as the history stores it: credentials masked.
func maskedURL(r seedRobot) string {
	tail := "…" + r.Token[len(r.Token)-4:]
	switch r.Platform {
	case "dingtalk":
		return "https://oapi.dingtalk.com/robot/send?access_token=" + tail + "&timestamp=…&sign=…"
	case "feishu", "lark":
		return "https://" + webhookHost(r.Platform) + "/open-apis/bot/v2/hook/" + tail
	}
	return "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + tail
}

type stats struct {
	rules, attempts, notifications, alerts int
}

// outcome paths of a notification: the attempts' outcomes, last one decides the state.
type path struct {
	weight   int
	outcomes []string
	state    string
}

var paths = []path{
	{8450, []string{"delivered"}, db.StateDelivered},
	{350, []string{"retry", "delivered"}, db.StateDelivered},
	{150, []string{"rate_limited", "delivered"}, db.StateDelivered},
	{60, []string{"retry", "retry", "retry", "expired"}, db.StateExpired},
	{90, []string{"rejected"}, db.StateFailed},
	{80, []string{"misconfigured"}, db.StateFailed},
	{40, []string{"retry", "misconfigured"}, db.StateFailed},
	{500, []string{"muted"}, db.StateMuted},
	{280, []string{"folded"}, db.StateFolded},
}

func pickPath(rng *rand.Rand) path {
	total := 0
	for _, p := range paths {
		total += p.weight
	}
	n := rng.IntN(total)
	for _, p := range paths {
		if n < p.weight {
			return p
		}
		n -= p.weight
	}
	return paths[0]
}

var alertNames = []string{"HighCPU", "HighMemory", "DiskAlmostFull", "InstanceDown", "HighLatencyP99", "ErrorRateHigh",
	"CertificateExpiring", "QueueBacklog", "ReplicationLag", "PodCrashLooping", "NodeNotReady", "5xxSpike",
	"支付成功率下降", "订单延迟升高", "磁盘使用率过高"}

var services = []string{"api", "web", "checkout", "worker", "gateway", "db", "cache", "search", "auth", "ledger"}

// answer is what a platform says for an outcome.
func answer(p, outcome string, rng *rand.Rand) (status int, code, message, summary, response string) {
	switch outcome {
	case "delivered":
		if p == "feishu" || p == "lark" {
			return 200, "0", "success", "Delivered.", `{"code":0,"msg":"success","data":{}}`
		}
		return 200, "0", "ok", "Delivered.", `{"errcode":0,"errmsg":"ok"}`
	case "retry":
		if rng.IntN(2) == 0 {
			return 502, "", "Bad Gateway", "The platform answered HTTP 502; will retry.", "<html><body>502 Bad Gateway</body></html>"
		}
		return 200, "-1", "system busy", "The platform is busy (-1); will retry.", `{"errcode":-1,"errmsg":"system busy"}`
	case "rate_limited":
		switch p {
		case "dingtalk":
			return 200, "130101", "send too fast, exceed 20 times per minute", "Rate limited: at most 20 messages a minute.",
				`{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`
		case "wecom":
			return 200, "45009", "api freq out of limit", "Rate limited: at most 20 messages a minute.",
				`{"errcode":45009,"errmsg":"api freq out of limit"}`
		}
		return 200, "11232", "frequency limited", "Rate limited: at most 100 messages a minute, 5 a second.",
			`{"code":11232,"msg":"frequency limited","data":{}}`
	case "rejected":
		switch p {
		case "dingtalk":
			return 200, "310000", "keywords not in content", "Refused: the message lacks the robot's keyword.",
				`{"errcode":310000,"errmsg":"keywords not in content"}`
		case "wecom":
			return 200, "40058", "markdown.content exceed max length 4096", "Refused: the message is too long.",
				`{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`
		}
		return 200, "19024", "Key Words Not Found", "Refused: the message lacks the robot's keyword.",
			`{"code":19024,"msg":"Key Words Not Found","data":{}}`
	case "misconfigured":
		switch p {
		case "dingtalk":
			return 200, "400106", "robot 不存在", "The robot was removed from its group; fix or replace the webhook.",
				`{"errcode":400106,"errmsg":"robot 不存在"}`
		case "wecom":
			return 200, "93000", "invalid webhook url", "The webhook URL is invalid or the robot was removed.",
				`{"errcode":93000,"errmsg":"invalid webhook url"}`
		}
		return 200, "19021", "sign match fail or timestamp is not within one hour from current time",
			"The signature does not match: check the signing secret.", `{"code":19021,"msg":"sign match fail"}`
	case "muted":
		return 0, "", "", "Muted: quiet hours of the rule.", ""
	case "folded":
		return 0, "", "", "Folded into a digest (rate limit reached).", ""
	case "expired":
		return 0, "", "", "Expired: not delivered within 24 h.", ""
	}
	return 0, "", "", "", ""
}

// bulk writes the rules and the history with plain prepared statements in large
// transactions: the seed is a loader, not the console, so it skips the db layer here.
func bulk(ctx context.Context, dbPath string, o options, w world) (stats, error) {
	var st stats
	conn, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(OFF)&_pragma=foreign_keys(0)&_pragma=cache_size(-200000)&_txlock=immediate")
	if err != nil {
		return st, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	var existing int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM delivery_attempts LIMIT 1)`).Scan(&existing); err != nil {
		return st, err
	}
	if existing > 0 {
		return st, fmt.Errorf("%s already holds delivery history; seed an empty data directory", dbPath)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	now := o.Now.UnixMilli()

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return st, err
	}
	defer func() { _ = tx.Rollback() }()
	byTeam := map[int64][]int{}
	for i, r := range w.robots {
		byTeam[r.TeamID] = append(byTeam[r.TeamID], i)
	}
	sevs := []string{"critical", "warning", "warning", "info"}
	for i := range o.Rules {
		t := w.teams[i%len(w.teams)]
		name := fmt.Sprintf("%s %s", alertNames[(i/len(w.teams))%len(alertNames)], services[(i/len(w.teams)/len(alertNames))%len(services)])
		if i/len(w.teams) >= len(alertNames)*len(services) {
			name += fmt.Sprintf(" #%d", i)
		}
		sev := sevs[rng.IntN(len(sevs))]
		matchers := fmt.Sprintf(`[{"name":"alertname","op":"=","value":%q}]`, alertNames[(i/len(w.teams))%len(alertNames)])
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO rules (team_id, name, severity, source, matchers, created_at, updated_at)
			VALUES (?, ?, ?, 'alertmanager', ?, ?, ?)
			ON CONFLICT (team_id, name) WHERE deleted_at IS NULL DO UPDATE SET updated_at = excluded.updated_at RETURNING id`,
			t.ID, name, sev, matchers, now, now).Scan(&id)
		if err != nil {
			return st, fmt.Errorf("rule %s: %w", name, err)
		}
		rr := seedRule{ID: id, TeamID: t.ID, Name: name, Severity: sev}
		team := byTeam[t.ID]
		first := team[rng.IntN(len(team))]
		rr.Robots = append(rr.Robots, first)
		if rng.IntN(3) == 0 {
			if second := team[rng.IntN(len(team))]; second != first {
				rr.Robots = append(rr.Robots, second)
			}
		}
		for _, ri := range rr.Robots {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO rule_robots (rule_id, robot_id) VALUES (?, ?)`, id, w.robots[ri].ID); err != nil {
				return st, err
			}
		}
		w.rules = append(w.rules, rr)
	}
	st.rules = len(w.rules)

	const batch = 20000
	var insN, insA, insAl, insNA, fold *sql.Stmt
	prepare := func() error {
		var err error
		if insN, err = tx.PrepareContext(ctx, `INSERT INTO notifications (team_id, robot_id, rule_id, group_key, kind, severity,
			title, body, state, attempts, next_attempt_at, alert_count, search, last_outcome, last_summary, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`); err != nil {
			return err
		}
		if insA, err = tx.PrepareContext(ctx, `INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id,
			platform, kind, attempt, at, outcome, http_status, code, message, summary, latency_ms, request_url, request_body,
			response, search) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
			return err
		}
		if insAl, err = tx.PrepareContext(ctx, `INSERT INTO alerts (team_id, source, fingerprint, status, name, labels,
			annotations, starts_at, ends_at, received_at, matched_rules) VALUES (?, 'alertmanager', ?, ?, ?, ?, ?, ?, ?, ?, ?)
			RETURNING id`); err != nil {
			return err
		}
		if insNA, err = tx.PrepareContext(ctx, `INSERT OR IGNORE INTO notification_alerts (notification_id, alert_id) VALUES (?, ?)`); err != nil {
			return err
		}
		fold, err = tx.PrepareContext(ctx, `UPDATE notifications SET digest_id = ? WHERE robot_id = ? AND state = 'folded'
			AND digest_id IS NULL AND id > ?`)
		return err
	}
	if err := prepare(); err != nil {
		return st, err
	}
	commit := func() error {
		for _, s := range []*sql.Stmt{insN, insA, insAl, insNA, fold} {
			s.Close()
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		return prepare()
	}

	span := int64(o.Days) * 24 * 3600 * 1000
	startAt := now - span
	expected := max(1, o.Attempts*100/111) // about 1.11 attempts per notification
	step := float64(span) / float64(expected)
	lastFold := map[int]int64{} // robot index → id of its last digest
	fp := 0
	for i := 0; st.attempts < o.Attempts; i++ {
		if i%batch == batch-1 {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if err := commit(); err != nil {
				return st, err
			}
		}
		at := startAt + int64(float64(i)*step) + rng.Int64N(int64(step)+1)
		if at > now-60_000 {
			at = now - 60_000 - rng.Int64N(3_600_000)
		}
		kind := "firing"
		switch k := rng.IntN(100); {
		case k < 30:
			kind = "resolved"
		case k < 34:
			kind = "digest"
		case k < 37:
			kind = "test"
		}
		var ru seedRule
		var rb seedRobot
		var ri int
		if kind == "test" {
			ri = rng.IntN(len(w.robots))
			rb = w.robots[ri]
		} else {
			ru = w.rules[rng.IntN(len(w.rules))]
			ri = ru.Robots[rng.IntN(len(ru.Robots))]
			rb = w.robots[ri]
		}
		p := pickPath(rng)
		if kind == "test" || kind == "digest" {
			for p.state == db.StateMuted || p.state == db.StateFolded {
				p = pickPath(rng)
			}
		}
		if remaining := o.Attempts - st.attempts; len(p.outcomes) > remaining {
			p = path{outcomes: []string{"delivered"}, state: db.StateDelivered}
		}
		svc := services[rng.IntN(len(services))]
		inst := fmt.Sprintf("%s-%d", svc, rng.IntN(12)+1)
		name := "Test-send from alertdesk"
		search := "test " + rb.Name
		title := name
		groupKey := ""
		if kind != "test" {
			name = strings.Fields(ru.Name)[0]
			search = fmt.Sprintf("%s alertname=%s instance=%s service=%s severity=%s", name, name, inst, svc, ru.Severity)
			title = fmt.Sprintf("[%s] %s on %s", strings.ToUpper(kind), name, inst)
			groupKey = "service=" + svc
			if kind == "digest" {
				title = fmt.Sprintf("[DIGEST] %d alerts for %s", 2+rng.IntN(9), svc)
			}
		}
		body := fmt.Sprintf("**%s**\n\nseverity: %s\nservice: %s\ninstance: %s", title, ru.Severity, svc, inst)
		last := p.outcomes[len(p.outcomes)-1]
		_, _, _, lastSummary, _ := answer(rb.Platform, last, rng)
		var nid int64
		err := insN.QueryRowContext(ctx, rb.TeamID, rb.ID, nullable(ru.ID), groupKey, kind, ru.Severity, title, body, p.state,
			countSends(p.outcomes), at, 0, search, last, lastSummary, at, at).Scan(&nid)
		if err != nil {
			return st, fmt.Errorf("insert notification: %w", err)
		}
		st.notifications++
		if kind == "digest" {
			if _, err := fold.ExecContext(ctx, nid, rb.ID, lastFold[ri]); err != nil {
				return st, err
			}
			lastFold[ri] = nid
		}
		reqBody := fmt.Sprintf(`{"msgtype":"markdown","markdown":{"title":%q,"text":%q}}`, title, body)
		if rb.Platform == "feishu" || rb.Platform == "lark" {
			reqBody = fmt.Sprintf(`{"timestamp":"…","sign":"…","msg_type":"interactive","card":{"header":{"title":{"content":%q}}}}`, title)
		}
		t := at
		for n, oc := range p.outcomes {
			status, code, msg, summary, resp := answer(rb.Platform, oc, rng)
			latency := int64(0)
			reqURL, reqB := "", ""
			if status != 0 {
				latency = int64(40 + rng.IntN(260))
				if oc == "retry" && rng.IntN(4) == 0 {
					latency = 10_000
				}
				reqURL, reqB = maskedURL(rb), reqBody
			}
			if _, err := insA.ExecContext(ctx, nid, rb.TeamID, rb.ID, ru.ID, rb.Platform, kind, n+1, t, oc, status, code, msg,
				summary, latency, reqURL, reqB, resp, search); err != nil {
				return st, fmt.Errorf("insert attempt: %w", err)
			}
			st.attempts++
			t += int64(30_000 * (1 << n))
		}
		if kind != "test" && rng.IntN(100) < 35 {
			k := 1 + rng.IntN(3)
			for range k {
				fp++
				status := "firing"
				if kind == "resolved" {
					status = "resolved"
				}
				labels := fmt.Sprintf(`{"alertname":%q,"instance":%q,"service":%q,"severity":%q}`, name, inst, svc, ru.Severity)
				var aid int64
				if err := insAl.QueryRowContext(ctx, rb.TeamID, fmt.Sprintf("%016x", fp), status, name, labels,
					fmt.Sprintf(`{"summary":"%s on %s"}`, name, inst), at-120_000, 0, at-2_000, fmt.Sprint(ru.ID)).Scan(&aid); err != nil {
					return st, fmt.Errorf("insert alert: %w", err)
				}
				st.alerts++
				if _, err := insNA.ExecContext(ctx, nid, aid); err != nil {
					return st, err
				}
			}
		}
	}
	for _, s := range []*sql.Stmt{insN, insA, insAl, insNA, fold} {
		s.Close()
	}
	// Robot health as the history left it: the newest failures mark robots failing or throttled.
	if _, err := tx.ExecContext(ctx, `UPDATE robots SET status = 'verified', last_success_at = ? WHERE id IN (
		SELECT DISTINCT robot_id FROM delivery_attempts WHERE outcome = 'delivered' AND at >= ?)`, now, now-3_600_000); err != nil {
		return st, err
	}
	for i, rb := range w.robots {
		switch i % 17 {
		case 3:
			if _, err := tx.ExecContext(ctx, `UPDATE robots SET status = 'failing', status_reason = ?, last_failure = ?,
				last_failure_at = ? WHERE id = ?`, "The robot was removed from its group; fix or replace the webhook.",
				"The robot was removed from its group; fix or replace the webhook.", now-600_000, rb.ID); err != nil {
				return st, err
			}
		case 8:
			if _, err := tx.ExecContext(ctx, `UPDATE robots SET throttled_until = ?, last_failure = 'Rate limited: at most 20 messages a minute.',
				last_failure_at = ? WHERE id = ?`, now+30*60_000, now-30_000, rb.ID); err != nil {
				return st, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return st, err
	}
	// Fresh statistics, so the query planner knows the shape of the history.
	if _, err := conn.ExecContext(ctx, `ANALYZE`); err != nil {
		return st, err
	}
	_, err = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return st, err
}

func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// countSends counts the attempts that were HTTP requests.
func countSends(outcomes []string) int {
	n := 0
	for _, o := range outcomes {
		if o != "muted" && o != "folded" && o != "expired" {
			n++
		}
	}
	return n
}
