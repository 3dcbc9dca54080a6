package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"alertdesk/migrations"
)

// Several consoles on one PostgreSQL database (issue 18).
//
// What every console does: intake (accept, persist, acknowledge), the web UI, sessions
// (the sessions table), reloading rules when another console changed them (change_versions).
//
// What exactly one console does at a time, under a lease per role (see Console in
// roles.go): "pipeline" (group flushes, threshold timers, auto-resolve, escalation steps
// and repeat-until-ack), "delivery" (the outbox engine: claims, sends, retries, digests,
// expiry, the per-robot send governor) and "jobs" (daily summaries, shift hand-offs,
// retention).
//
// Writes are serialised across consoles: every write transaction on PostgreSQL first takes
// a transaction-scoped advisory lock (writerLockKey). The storage layer's transactions were
// written for one writer at a time (SQLite's file lock, one writer connection per console):
// they read and then write without row locks, and run side by side they lock rows in
// orders that deadlock each other (intake against group flushes). The lock keeps that
// model across machines; intake still batches many requests per transaction, so the
// price is one lock round trip per transaction.

// writerLockKey is the advisory lock every PostgreSQL write transaction holds.
const writerLockKey = 0x616c657274_02

// Roles a console can hold.
const (
	RolePipeline = "pipeline"
	RoleDelivery = "delivery"
	RoleJobs     = "jobs"
)

// AllRoles are the roles in the order a console takes them.
var AllRoles = []string{RolePipeline, RoleDelivery, RoleJobs}

// Fence identifies one tenure of a role: the holder and the lease's epoch at acquisition.
// A write made under a fence (Claim) is refused once another console took the role over.
// The zero Fence checks nothing (SQLite, tests).
type Fence struct {
	Role   string
	Holder string
	Epoch  int64
}

// NewConsoleID returns a random console id (one per process start).
func NewConsoleID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Postgres reports whether the database is PostgreSQL (several consoles may share it).
func (d *DB) Postgres() bool { return d.dia.postgres }

// ErrNewerSchema: the database was migrated by a newer alertdesk.
var ErrNewerSchema = errors.New("db: the database schema is newer than this console")

// knownMigrations lists the migration names this binary carries for the engine.
func (d *DB) knownMigrations() ([]string, error) {
	if d.dia.postgres {
		return fs.Glob(migrations.Postgres, "postgres/*.sql")
	}
	return fs.Glob(migrations.FS, "*.sql")
}

// SchemaVersion is the number of the last migration this binary knows, e.g. "0016".
func SchemaVersion() string {
	names, _ := fs.Glob(migrations.FS, "*.sql")
	pg, _ := fs.Glob(migrations.Postgres, "postgres/*.sql")
	v := ""
	for _, n := range append(names, pg...) {
		if b := path.Base(n); len(b) >= 4 && b[:4] > v {
			v = b[:4]
		}
	}
	return v
}

// refuseNewerSchema fails when the database records migrations this binary does not
// carry: a newer console migrated it, and this older one would run on tables it does not
// know (a rolling upgrade must replace the old consoles, not start more of them).
func (d *DB) refuseNewerSchema(ctx context.Context, q querier) error {
	known, err := d.knownMigrations()
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, n := range known {
		have[n] = true
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var unknown []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if !have[n] {
			unknown = append(unknown, path.Base(n))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%w: it has migration(s) %s, which this alertdesk (schema %s) does not know; "+
			"a newer alertdesk upgraded it: upgrade this console's binary to that version (or newer) before starting it",
			ErrNewerSchema, strings.Join(unknown, ", "), SchemaVersion())
	}
	return nil
}

// coord is the pool for coordination statements (heartbeats, leases): on PostgreSQL a
// pool of their own, so that a renewal never waits behind this console's writer
// transaction or its readers; on SQLite the writer (the reader is read-only), where only
// one console runs anyway.
func (d *DB) coord() *sql.DB {
	if d.coordPool != nil {
		return d.coordPool
	}
	return d.write
}

// ClusterNow is the clock leases are measured by: PostgreSQL's clock, so consoles on
// machines whose clocks disagree still agree on when a lease ends; the DB's clock on SQLite.
func (d *DB) ClusterNow(ctx context.Context) (time.Time, error) {
	if !d.dia.postgres {
		return d.now(), nil
	}
	var v int64
	if err := d.coord().QueryRowContext(ctx, `SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint`).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("db: cluster clock: %w", err)
	}
	return fromMS(v), nil
}

// TryLease takes or renews role's lease for holder until now+ttl. It succeeds when nobody
// holds the role, holder already does, or the holder's lease ended by now; the epoch grows
// whenever the holder changes. It returns the lease as it is after the attempt.
func (d *DB) TryLease(ctx context.Context, role, holder string, now time.Time, ttl time.Duration) (Lease, bool, error) {
	var l Lease
	var acq, exp int64
	err := d.coord().QueryRowContext(ctx, `INSERT INTO leases (role, holder, epoch, acquired_at, expires_at) VALUES (?, ?, 1, ?, ?)
		ON CONFLICT (role) DO UPDATE SET
			epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? THEN leases.epoch ELSE leases.epoch + 1 END,
			acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? THEN leases.acquired_at ELSE excluded.acquired_at END,
			holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING role, holder, epoch, acquired_at, expires_at`,
		role, holder, ms(now), ms(now.Add(ttl)), ms(now), ms(now), ms(now)).Scan(&l.Role, &l.Holder, &l.Epoch, &acq, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		// Someone else holds it: say who.
		cur, err := d.LeaseOf(ctx, role)
		return cur, false, err
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("db: lease %s: %w", role, err)
	}
	l.AcquiredAt, l.ExpiresAt = fromMS(acq), fromMS(exp)
	return l, true, nil
}

// RenewLease extends holder's lease of role, in its tenure epoch, until now+ttl. It
// reports false when the lease is no longer holder's: it ended by now (even if nobody
// took it since), or another console took it, or the epoch moved on. The holder must then
// stop the role's work at once; taking the role again goes through TryLease, which gives
// a new epoch. An ended lease is never brought back under its old epoch: a late renewal
// (a console that lost its lease, a statement delayed past the expiry) would otherwise
// revive a tenure whose holder may already have stopped, or died, and whose fence the
// writes of that old tenure would pass again.
func (d *DB) RenewLease(ctx context.Context, f Fence, now time.Time, ttl time.Duration) (bool, error) {
	res, err := d.coord().ExecContext(ctx, `UPDATE leases SET expires_at = ? WHERE role = ? AND holder = ? AND epoch = ? AND expires_at > ?`,
		ms(now.Add(ttl)), f.Role, f.Holder, f.Epoch, ms(now))
	if err != nil {
		return false, fmt.Errorf("db: renew lease %s: %w", f.Role, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease ends holder's lease of role now (clean shutdown), so another console takes
// the role at its next attempt instead of waiting for the lease to run out.
func (d *DB) ReleaseLease(ctx context.Context, f Fence) error {
	_, err := d.coord().ExecContext(ctx, `UPDATE leases SET expires_at = 0 WHERE role = ? AND holder = ? AND epoch = ?`,
		f.Role, f.Holder, f.Epoch)
	if err != nil {
		return fmt.Errorf("db: release lease %s: %w", f.Role, err)
	}
	return nil
}

// Lease is a role's lease row.
type Lease struct {
	Role       string
	Holder     string
	Epoch      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
}

// LeaseOf returns role's lease (ErrNotFound when nobody ever held it).
func (d *DB) LeaseOf(ctx context.Context, role string) (Lease, error) {
	var l Lease
	var acq, exp int64
	err := d.coord().QueryRowContext(ctx, `SELECT role, holder, epoch, acquired_at, expires_at FROM leases WHERE role = ?`, role).
		Scan(&l.Role, &l.Holder, &l.Epoch, &acq, &exp)
	if err != nil {
		return Lease{}, mapErr(err)
	}
	l.AcquiredAt, l.ExpiresAt = fromMS(acq), fromMS(exp)
	return l, nil
}

// ConsoleInfo is a console's row in the registry.
type ConsoleInfo struct {
	ID            string
	Hostname      string
	PID           int
	Version       string
	SchemaVersion string
	StartedAt     time.Time
	HeartbeatAt   time.Time
	Roles         []string
	StoppedAt     time.Time // zero while it runs
}

// RegisterConsole adds this console to the registry (its heartbeat starts now).
func (d *DB) RegisterConsole(ctx context.Context, c ConsoleInfo, now time.Time) error {
	if c.SchemaVersion == "" {
		c.SchemaVersion = SchemaVersion()
	}
	_, err := d.coord().ExecContext(ctx, `INSERT INTO consoles (id, hostname, pid, version, schema_version, started_at, heartbeat_at, roles)
		VALUES (?, ?, ?, ?, ?, ?, ?, '')`, c.ID, c.Hostname, c.PID, c.Version, c.SchemaVersion, ms(now), ms(now))
	if err != nil {
		return fmt.Errorf("db: register console: %w", mapErr(err))
	}
	return nil
}

// HeartbeatConsole records that console id is alive at now and holds roles.
func (d *DB) HeartbeatConsole(ctx context.Context, id string, roles []string, now time.Time) error {
	_, err := d.coord().ExecContext(ctx, `UPDATE consoles SET heartbeat_at = ?, roles = ? WHERE id = ?`,
		ms(now), strings.Join(roles, ","), id)
	if err != nil {
		return fmt.Errorf("db: console heartbeat: %w", err)
	}
	return nil
}

// StopConsole marks console id stopped (clean shutdown): it holds nothing any more.
func (d *DB) StopConsole(ctx context.Context, id string, now time.Time) error {
	_, err := d.coord().ExecContext(ctx, `UPDATE consoles SET stopped_at = ?, roles = '' WHERE id = ?`, ms(now), id)
	if err != nil {
		return fmt.Errorf("db: console stop: %w", err)
	}
	return nil
}

// LiveConsoles lists the consoles whose heartbeat is newer than now-timeout and that did
// not stop, oldest first, with the roles each holds: the dashboard's list.
func (d *DB) LiveConsoles(ctx context.Context, now time.Time, timeout time.Duration) ([]ConsoleInfo, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, hostname, pid, version, schema_version, started_at, heartbeat_at, roles
		FROM consoles WHERE heartbeat_at > ? AND stopped_at IS NULL ORDER BY started_at, id`, ms(now.Add(-timeout)))
	if err != nil {
		return nil, fmt.Errorf("db: live consoles: %w", err)
	}
	defer rows.Close()
	var out []ConsoleInfo
	for rows.Next() {
		var c ConsoleInfo
		var started, beat int64
		var roles string
		if err := rows.Scan(&c.ID, &c.Hostname, &c.PID, &c.Version, &c.SchemaVersion, &started, &beat, &roles); err != nil {
			return nil, err
		}
		c.StartedAt, c.HeartbeatAt = fromMS(started), fromMS(beat)
		if roles != "" {
			c.Roles = strings.Split(roles, ",")
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil || !d.dia.postgres {
		return out, err
	}
	// On PostgreSQL the roles a console holds are its unexpired leases, not the list its
	// last heartbeat wrote: a killed console's row still names its roles until its
	// heartbeat times out (10 s), well after its leases ended (5 s) and were taken over.
	held, err := d.heldLeases(ctx, now)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Roles = held[out[i].ID]
	}
	return out, nil
}

// heldLeases maps each holder of an unexpired lease at now to its roles (in AllRoles order).
func (d *DB) heldLeases(ctx context.Context, now time.Time) (map[string][]string, error) {
	rows, err := d.coord().QueryContext(ctx, `SELECT role, holder FROM leases WHERE expires_at > ?`, ms(now))
	if err != nil {
		return nil, fmt.Errorf("db: held leases: %w", err)
	}
	defer rows.Close()
	held := map[string][]string{}
	for rows.Next() {
		var role, holder string
		if err := rows.Scan(&role, &holder); err != nil {
			return nil, err
		}
		held[holder] = append(held[holder], role)
	}
	for _, roles := range held {
		sort.Slice(roles, func(i, j int) bool { return roleRank(roles[i]) < roleRank(roles[j]) })
	}
	return held, rows.Err()
}

func roleRank(r string) int {
	for i, x := range AllRoles {
		if x == r {
			return i
		}
	}
	return len(AllRoles)
}

// PruneConsoles deletes the rows of consoles dead (or stopped) since before cutoff.
func (d *DB) PruneConsoles(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := d.coord().ExecContext(ctx, `DELETE FROM consoles WHERE heartbeat_at < ?`, ms(cutoff))
	if err != nil {
		return 0, fmt.Errorf("db: prune consoles: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// BumpVersion says that the configuration called name (e.g. "rules") changed, so that
// the other consoles reload theirs.
func (d *DB) BumpVersion(ctx context.Context, name string) error {
	_, err := d.coord().ExecContext(ctx, `INSERT INTO change_versions (name, version) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET version = change_versions.version + 1`, name)
	if err != nil {
		return fmt.Errorf("db: bump %s version: %w", name, err)
	}
	return nil
}

// Version is the configuration's change counter (0 before its first change).
func (d *DB) Version(ctx context.Context, name string) (int64, error) {
	var v int64
	err := d.read.QueryRowContext(ctx, `SELECT version FROM change_versions WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("db: %s version: %w", name, err)
	}
	return v, nil
}

// checkFence fails with ErrFenced when f's tenure is over (another console took the role
// over). Inside a write transaction it is exact: the lease changes holder only through
// TryLease, and a write holding the writer lock sees it committed or not at all.
func checkFence(ctx context.Context, q querier, f Fence) error {
	if f.Holder == "" {
		return nil
	}
	var ok int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM leases WHERE role = ? AND holder = ? AND epoch = ?`,
		f.Role, f.Holder, f.Epoch).Scan(&ok); err != nil {
		return err
	}
	if ok == 0 {
		return ErrFenced
	}
	return nil
}
