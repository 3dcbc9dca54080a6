package db

import (
	"context"
	"fmt"
	"time"
)

// Failed sign-ins, counted in the database so that every console sharing it throttles
// alike (the handlers' loginThrottle decides the delays). A key is a (user name, client
// address) pair, or a client address alone (user name ""). A key's count starts again at
// one when its last failure is older than the forget window.

// LoginFailure is one key's count of failed sign-ins and the time of the last one.
type LoginFailure struct {
	Failures int
	Last     time.Time
}

// LoginFailures returns the counts of the keys (user, ip) and ("", ip); a key without
// failures has the zero LoginFailure.
func (d *DB) LoginFailures(ctx context.Context, user, ip string) (pair, addr LoginFailure, err error) {
	rows, err := d.read.QueryContext(ctx, `SELECT user_name, failures, last_at FROM login_failures
		WHERE ip = ? AND user_name IN (?, '')`, ip, user)
	if err != nil {
		return pair, addr, fmt.Errorf("db: login failures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var f LoginFailure
		var last int64
		if err := rows.Scan(&name, &f.Failures, &last); err != nil {
			return pair, addr, err
		}
		f.Last = fromMS(last)
		if name == "" {
			addr = f
		} else {
			pair = f
		}
	}
	return pair, addr, rows.Err()
}

// RecordLoginFailure counts a failed sign-in of user at ip at now, on the pair's key and
// on the address's; a key whose last failure is older than forget starts again at one.
func (d *DB) RecordLoginFailure(ctx context.Context, user, ip string, now time.Time, forget time.Duration) error {
	for _, name := range []string{user, ""} {
		_, err := d.write.ExecContext(ctx, `INSERT INTO login_failures (user_name, ip, failures, last_at) VALUES (?, ?, 1, ?)
			ON CONFLICT (user_name, ip) DO UPDATE SET
				failures = CASE WHEN login_failures.last_at <= ? THEN 1 ELSE login_failures.failures + 1 END,
				last_at = excluded.last_at`, name, ip, ms(now), ms(now.Add(-forget)))
		if err != nil {
			return fmt.Errorf("db: record login failure: %w", err)
		}
	}
	return nil
}

// ClearLoginFailures forgets the failures of user at ip (a successful sign-in); the
// address's own count stays.
func (d *DB) ClearLoginFailures(ctx context.Context, user, ip string) error {
	if _, err := d.write.ExecContext(ctx, `DELETE FROM login_failures WHERE user_name = ? AND ip = ?`, user, ip); err != nil {
		return fmt.Errorf("db: clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the keys whose last failure is older than cutoff.
func (d *DB) PruneLoginFailures(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := d.write.ExecContext(ctx, `DELETE FROM login_failures WHERE last_at < ?`, ms(cutoff))
	if err != nil {
		return 0, fmt.Errorf("db: prune login failures: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
