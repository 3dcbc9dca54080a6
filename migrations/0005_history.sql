-- Indexes for the dashboard's 24-hour aggregates, chosen from EXPLAIN QUERY PLAN over a
-- million seeded attempts (go run ./cmd/seed): each covers its query, so counting a day
-- reads a small index range instead of fetching every attempt row (with its request and
-- response) from the table.
CREATE INDEX attempts_dashboard ON delivery_attempts (at, team_id, kind, outcome);
CREATE INDEX alerts_received_team ON alerts (received_at, team_id);
CREATE INDEX notifications_team_created ON notifications (team_id, created_at);
