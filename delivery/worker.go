package delivery

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
)

// runRobot drains one robot's due notifications, oldest first, one request at a time,
// and returns when there is nothing it may send now: the time its next notification or
// budget is due (zero when the queue is empty or the robot cannot be used).
func (e *Engine) runRobot(id int64) time.Time {
	ctx := context.Background()
	for {
		if e.stopping.Load() {
			return time.Time{}
		}
		r, err := e.db.RobotByID(ctx, db.AllTeams, id)
		if errors.Is(err, db.ErrNotFound) {
			return time.Time{}
		}
		if err != nil {
			e.log.Error("outbox: reading robot failed", "robot_id", id, "error", err)
			return e.clock.Now().Add(30 * time.Second)
		}
		if !r.Enabled {
			return time.Time{} // its notifications wait (or expire by age)
		}
		now := e.clock.Now()
		if r.ThrottledUntil.After(now) {
			return r.ThrottledUntil
		}
		lim, g := limitOf(r), e.governor(id)
		if e.opts.Fence.Holder != "" {
			// Several consoles: a test-send made on a console without the delivery role
			// used the robot's budget too. Count the ones recorded since the window began.
			marks, err := e.db.TestSendsSince(ctx, id, now.Add(-minuteWindow))
			if err != nil {
				e.log.Error("outbox: reading the robot's recent test-sends failed", "robot_id", id, "error", err)
				return now.Add(5 * time.Second)
			}
			g.learnTests(marks, now, e.seeded)
		}
		budget := g.budget(now, lim)
		due, waitUntil, err := e.db.DueForRobot(ctx, id, now, min(budget+1, e.opts.ScanBatch))
		if err != nil {
			e.log.Error("outbox: reading the robot's queue failed", "robot_id", id, "error", err)
			return now.Add(30 * time.Second)
		}
		if len(due) == 0 {
			return waitUntil
		}
		if len(due) > budget {
			folded, err := e.fold(ctx, r, budget, now)
			if err != nil {
				e.log.Error("outbox: folding the backlog into a digest failed", "robot_id", id, "error", err)
				return now.Add(30 * time.Second)
			}
			if !folded && budget == 0 {
				e.obs.ThrottleWait(r.Platform)
				return g.nextFree(now, lim)
			}
			continue // the queue changed: look again
		}
		// Everything read fits the budget: claim and send it in batches.
		for len(due) > 0 {
			if e.stopping.Load() {
				return time.Time{}
			}
			chunk := due[:min(len(due), e.opts.ClaimBatch)]
			due = due[len(chunk):]
			ids := make([]int64, 0, len(chunk))
			for _, d := range chunk {
				ids = append(ids, d.ID)
			}
			claimed, err := e.db.ClaimFenced(ctx, id, ids, e.clock.Now(), e.opts.Fence, e.opts.ClaimLease)
			if errors.Is(err, db.ErrFenced) {
				// Another console took delivery over: this one sends nothing more.
				e.log.Warn("outbox: delivery was taken over by another console; this one stops sending", "robot_id", id)
				e.fenced.Store(true)
				e.stopping.Store(true)
				return time.Time{}
			}
			if err != nil {
				e.log.Error("outbox: claiming notifications failed", "robot_id", id, "error", err)
				return e.clock.Now().Add(30 * time.Second)
			}
			if next, stop := e.sendAll(r, lim, g, claimed); stop {
				return next
			}
		}
	}
}

// sendAll sends claimed notifications in order. It stops early (stop = true) when the
// engine is closing or the robot must wait (retry backoff, rate limit), releasing the
// notifications it did not send.
func (e *Engine) sendAll(r db.Robot, lim notify.Limit, g *governor, claimed []db.Notification) (next time.Time, stop bool) {
	release := func(rest []db.Notification) {
		if len(rest) == 0 {
			return
		}
		ids := make([]int64, len(rest))
		for i, n := range rest {
			ids[i] = n.ID
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.db.ReleaseClaimedBy(ctx, ids, e.clock.Now(), e.opts.Fence.Holder); err != nil {
			e.log.Error("outbox: releasing claimed notifications failed; they are queued again at the next start",
				"robot_id", r.ID, "error", err)
		}
	}
	nr := r.Target()
	for i, n := range claimed {
		if e.stopping.Load() {
			release(claimed[i:])
			return time.Time{}, true
		}
		now := e.clock.Now()
		if n.CreatedAt.Before(now.Add(-e.opts.MaxAge)) {
			summary := "Not delivered within " + e.opts.MaxAge.String() + "; given up"
			if n.LastSummary != "" {
				summary += " (last attempt: " + n.LastSummary + ")"
			}
			res := db.DeliveryResult{Notification: n, Platform: r.Platform, State: db.StateExpired, ClaimedBy: e.opts.Fence.Holder,
				Attempt: db.Attempt{At: now, Outcome: db.OutcomeExpired, Summary: summary}}
			if err := e.record(res); err != nil {
				release(claimed[i+1:])
				return now.Add(30 * time.Second), true
			}
			e.obs.Outcome(r.Platform, r.ID, db.OutcomeExpired, 0)
			continue
		}
		// Per-second pacing (the minute budget was checked when claiming).
		if at := g.nextFree(now, lim); at.After(now) {
			e.obs.ThrottleWait(r.Platform)
			c, cancel := e.clock.After(at.Sub(now))
			e.pacing.Add(1)
			select {
			case e.paced <- struct{}{}:
			default:
			}
			select {
			case <-c:
				e.pacing.Add(-1)
			case <-e.stopCh:
				e.pacing.Add(-1)
				cancel()
				release(claimed[i:])
				return time.Time{}, true
			}
		}
		res := e.send(r, nr, n)
		g.record(e.clock.Now())
		if err := e.record(res); err != nil {
			e.log.Error("outbox: recording a delivery failed; the notification stays in sending until the next start",
				"notification_id", n.ID, "robot_id", r.ID, "error", err)
			release(claimed[i+1:])
			return e.clock.Now().Add(30 * time.Second), true
		}
		e.obs.Outcome(r.Platform, r.ID, res.Attempt.Outcome, time.Duration(res.Attempt.LatencyMS)*time.Millisecond)
		if res.State == db.StateRetrying {
			// The queue is strictly ordered: the robot waits for its oldest notification.
			release(claimed[i+1:])
			return res.NextAttemptAt, true
		}
	}
	return time.Time{}, false
}

// send sends one notification and turns the outcome into a result to record.
func (e *Engine) send(r db.Robot, nr notify.Robot, n db.Notification) db.DeliveryResult {
	link := e.link(n.ID)
	msg := notify.Message{Title: n.Title, Body: n.Body, Link: link, Mentions: n.Mentions.People, AtAll: n.Mentions.AtAll,
		Actions: n.Actions, CutNote: say(e.teamLanguage(r.TeamID), "messages.truncated_link", "Link", link)}
	prep, out := e.sender.Send(e.sendCtx, nr, msg)
	now := e.clock.Now()
	res := db.DeliveryResult{Notification: n, Platform: r.Platform, ClaimedBy: e.opts.Fence.Holder, Attempt: db.Attempt{At: now, Outcome: string(out.Class),
		HTTPStatus: out.HTTPStatus, Code: out.Code, Message: out.PlatformMessage, Summary: out.Summary,
		LatencyMS: out.Latency.Milliseconds(), RequestURL: prep.MaskedURL, RequestBody: string(prep.MaskedBody), Response: out.Response}}
	switch out.Class {
	case notify.Delivered:
		res.State = db.StateDelivered
	case notify.Misconfigured, notify.Rejected:
		res.State = db.StateFailed
	case notify.RateLimited:
		wait := rateLimitWait(e.governor(r.ID), limitOf(r), now, out.RetryAfter)
		res.State, res.NextAttemptAt, res.ThrottledUntil = db.StateRetrying, now.Add(wait), now.Add(wait)
	default: // Retry, and anything unknown
		res.Attempt.Outcome = db.OutcomeRetry
		res.State, res.NextAttemptAt = db.StateRetrying, now.Add(e.backoff(n.Attempts))
	}
	if res.Attempt.Summary == "" {
		res.Attempt.Summary = string(out.Class)
	}
	return res
}

func (e *Engine) link(id int64) string {
	return strings.TrimRight(e.opts.BaseURL, "/") + "/history/" + strconv.FormatInt(id, 10)
}

// fold folds the robot's due backlog into one digest so that it fits the budget: the
// oldest budget-1 notifications stay as they are and the rest become one digest, which
// takes the last slot (with no budget left, everything waiting is folded and the digest
// waits for the window). A digest already waiting takes the new notifications in.
// It reports whether anything was folded.
func (e *Engine) fold(ctx context.Context, r db.Robot, budget int, now time.Time) (bool, error) {
	all, _, err := e.db.DueForRobot(ctx, r.ID, now, 0)
	if err != nil {
		return false, err
	}
	if len(all) <= budget {
		return false, nil
	}
	rest := all[max(budget-1, 0):]
	var into int64
	if rest[0].Kind == "digest" {
		into, rest = rest[0].ID, rest[1:]
	} else {
		for _, d := range rest { // merge into a waiting digest further back, if any
			if d.Kind == "digest" {
				into = d.ID
				break
			}
		}
	}
	ids := make([]int64, 0, len(rest))
	for _, d := range rest {
		if d.ID != into {
			ids = append(ids, d.ID)
		}
	}
	if len(ids) == 0 || (into == 0 && len(ids) < 2) {
		return false, nil
	}
	lang := e.teamLanguage(r.TeamID) // read before the fold's transaction
	dg, err := e.db.FoldIntoDigest(ctx, r.ID, into, ids, now, func(st db.DigestStats) (string, string) {
		return e.renderDigest(r, lang, st)
	})
	if err != nil {
		return false, err
	}
	e.obs.Digest(r.Platform, len(ids), into == 0)
	for range ids {
		e.obs.Outcome(r.Platform, r.ID, db.OutcomeFolded, 0)
	}
	e.log.Info("outbox: folded a backlog into a digest", "robot_id", r.ID, "digest_id", dg.ID, "folded", len(ids),
		"digest_total", dg.AlertCount)
	return true, nil
}

// renderDigest writes a digest's title and markdown body in lang (the team's message
// language). notify.Prepare cuts the body to the platform's size with a link to the console.
func (e *Engine) renderDigest(r db.Robot, lang string, st db.DigestStats) (title, body string) {
	title = say(lang, "messages.digest_title", "Total", st.Total, "Firing", st.Firing, "Resolved", st.Resolved)
	lim := limitOf(r)
	var rate string
	switch {
	case lim.PerMinute > 0 && lim.PerSecond > 0:
		rate = say(lang, "messages.digest_rate_both", "PerSecond", lim.PerSecond, "PerMinute", lim.PerMinute)
	case lim.PerMinute > 0:
		rate = say(lang, "messages.digest_rate_minute", "PerMinute", lim.PerMinute)
	default:
		rate = say(lang, "messages.digest_rate_second", "PerSecond", lim.PerSecond)
	}
	sep := say(lang, "messages.separator")
	var b strings.Builder
	b.WriteString(say(lang, "messages.digest_intro", "Total", st.Total, "Alerts", st.Alerts,
		"Platform", notify.Platform(r.Platform).Label(), "Rate", rate) + "\n\n")
	b.WriteString(say(lang, "messages.digest_by_rule", "List", joinCounts(st.ByRule, sep)) + "\n\n")
	b.WriteString(say(lang, "messages.digest_by_severity", "List", joinCounts(st.BySeverity, sep)) + "\n\n")
	// The first alerts by name; notification titles when the alerts are not on record.
	list, total := st.AlertNames, st.Alerts
	if len(list) == 0 {
		list, total = st.Titles, st.Total
	}
	shown := min(len(list), e.opts.DigestTitles)
	for _, t := range list[:shown] {
		b.WriteString("- " + oneLine(t) + "\n")
	}
	link := e.link(st.DigestID)
	if more := total - shown; more > 0 {
		b.WriteString("\n" + say(lang, "messages.digest_more", "Count", more, "Link", link) + "\n")
	} else {
		b.WriteString("\n" + say(lang, "messages.digest_details", "Link", link) + "\n")
	}
	return title, b.String()
}

// say is the text with id from the messages catalog in lang.
func say(lang, id string, args ...any) string { return i18n.New(lang, nil).T(id, args...) }

// teamLang is a team's message language as last read.
type teamLang struct {
	lang string
	at   time.Time
}

// teamLanguage is the language team's digests and truncation notes go out in: the team's
// choice, else the console's default. It is read at most every 30 s per team.
func (e *Engine) teamLanguage(team int64) string {
	now := time.Now()
	e.langMu.Lock()
	if l, ok := e.langs[team]; ok && now.Sub(l.at) < 30*time.Second {
		e.langMu.Unlock()
		return l.lang
	}
	e.langMu.Unlock()
	lang := e.opts.Language
	if t, err := e.db.TeamByID(context.Background(), team); err == nil && t.Language != "" {
		lang = t.Language
	}
	e.langMu.Lock()
	if e.langs == nil {
		e.langs = map[int64]teamLang{}
	}
	e.langs[team] = teamLang{lang: lang, at: now}
	e.langMu.Unlock()
	return lang
}

func joinCounts(cs []db.NameCount, sep string) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, oneLine(c.Name)+" "+strconv.Itoa(c.Count))
	}
	return strings.Join(parts, sep)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
