package main

import (
	"context"
	"log/slog"
	"net/http"

	"alertdesk/db"
	"alertdesk/metrics"
	"alertdesk/notify/outbox"
)

// startEngine builds the delivery engine over the outbox, reporting to the console's
// Prometheus registry, and starts it (recovering notifications a crash left in
// sending). Stop it with Close before the database is closed; Close finishes the sends
// in flight and leaves the rest queued.
func startEngine(ctx context.Context, d *db.DB, sender outbox.Sender, cfg config, log *slog.Logger) (*outbox.Engine, error) {
	eng := outbox.New(d, sender, outbox.Options{
		BaseURL:  cfg.BaseURL,
		MaxAge:   cfg.MaxAge,
		Log:      log.With("component", "outbox"),
		Observer: metrics.Engine{},
	})
	if err := eng.Start(ctx); err != nil {
		return nil, err
	}
	return eng, nil
}

// metricsHandler serves /metrics from the console's own registry.
func metricsHandler() http.Handler { return metrics.Handler() }
