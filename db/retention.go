package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// pruneSteps delete one batch each of what is older than the cutoff, in dependency order:
// attempts first, then notifications with no attempt left (never those still in the outbox;
// their notification_alerts go with them by ON DELETE CASCADE), then alerts no remaining
// notification, group or threshold series refers to, then ended incidents without messages. Each batch is one short write
// transaction, so alert intake and the delivery engine wait for at most one batch.
//
// The newest row of each table is never pruned: these tables have no AUTOINCREMENT (too
// big to rebuild, see migration 0006), and SQLite gives a new row max(id)+1, so keeping
// the maximum is what guarantees that an id in an old link is never handed out again.
var pruneSteps = []struct {
	name  string
	query string // args: cutoff, batch
}{
	{"delivery_attempts", `DELETE FROM delivery_attempts WHERE id IN (
		SELECT id FROM delivery_attempts WHERE at < ? AND id < (SELECT MAX(id) FROM delivery_attempts)
		ORDER BY at LIMIT ?)`},
	{"notifications", `DELETE FROM notifications WHERE id IN (
		SELECT n.id FROM notifications n WHERE n.created_at < ? AND n.id < (SELECT MAX(id) FROM notifications)
			AND n.state NOT IN ('queued', 'sending', 'retrying')
			AND NOT EXISTS (SELECT 1 FROM delivery_attempts a WHERE a.notification_id = n.id)
		ORDER BY n.created_at LIMIT ?)`},
	{"alerts", `DELETE FROM alerts WHERE id IN (
		SELECT al.id FROM alerts al WHERE al.received_at < ? AND al.id < (SELECT MAX(id) FROM alerts)
			AND NOT EXISTS (SELECT 1 FROM notification_alerts na WHERE na.alert_id = al.id)
			AND al.id NOT IN (SELECT alert_id FROM group_alerts)
			AND al.id NOT IN (SELECT alert_id FROM series_state)
		ORDER BY al.received_at LIMIT ?)`},
	// Ended incidents whose messages are all gone; their timeline goes with them (CASCADE).
	{"incidents", `DELETE FROM incidents WHERE id IN (
		SELECT i.id FROM incidents i WHERE i.updated_at < ? AND i.state IN ('resolved', 'closed')
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.incident_id = i.id)
		ORDER BY i.updated_at LIMIT ?)`},
}

// PruneBefore deletes the delivery history (attempts, finished notifications and their
// alert links, alerts) older than cutoff, batch rows per transaction. It returns how many
// rows it deleted; on error or when ctx ends it stops after the current batch.
func (d *DB) PruneBefore(ctx context.Context, cutoff time.Time, batch int) (deleted int, err error) {
	if batch <= 0 {
		batch = 500
	}
	for _, st := range pruneSteps {
		for {
			if err := ctx.Err(); err != nil {
				return deleted, err
			}
			var n int64
			err := d.WithTx(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, st.query, ms(cutoff), batch)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return deleted, fmt.Errorf("db: prune %s: %w", st.name, err)
			}
			deleted += int(n)
			if n < int64(batch) {
				break
			}
		}
	}
	return deleted, nil
}

// RunRetention prunes the history older than keep right away and then every `every`,
// until ctx ends. Errors are logged, and the next round tries again.
func (d *DB) RunRetention(ctx context.Context, keep, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		start := time.Now()
		cutoff := d.now().Add(-keep)
		n, err := d.PruneBefore(ctx, cutoff, 500)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("retention: prune failed", "error", err, "deleted", n)
		case n > 0:
			log.Info("retention: pruned old history", "deleted", n, "cutoff", cutoff.UTC().Format(time.RFC3339),
				"dur", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
