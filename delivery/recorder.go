package delivery

import (
	"context"
	"time"

	"alertdesk/db"
)

// The recorder is the single goroutine that writes outcomes: it takes every result
// waiting in its queue and commits them in one transaction (group commit), then answers
// each sender. A worker waits for that answer before its robot's next send, so at most
// one sent-but-unrecorded request per robot exists at any time (the at-least-once window).

type recordReq struct {
	res  db.DeliveryResult
	done chan error
}

func (e *Engine) record(res db.DeliveryResult) error {
	req := recordReq{res: res, done: make(chan error, 1)}
	e.recIn <- req
	return <-req.done
}

func (e *Engine) runRecorder() {
	defer close(e.recDone)
	batch := make([]recordReq, 0, e.opts.RecordBatch)
	results := make([]db.DeliveryResult, 0, e.opts.RecordBatch)
	for {
		req, ok := <-e.recIn
		if !ok {
			return
		}
		batch = append(batch[:0], req)
		// Linger a moment for the results of the other robots' sends in flight, so one
		// transaction carries many (the commit, not the insert, is the expensive part).
		linger := time.NewTimer(e.opts.RecordLinger)
	drain:
		for len(batch) < e.opts.RecordBatch {
			select {
			case r, ok := <-e.recIn:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			case <-linger.C:
				break drain
			}
		}
		linger.Stop()
		results = results[:0]
		for _, r := range batch {
			results = append(results, r.res)
		}
		var err error
		for try := 0; try < 3; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err = e.db.RecordResults(ctx, results)
			cancel()
			if err == nil {
				break
			}
			e.log.Error("outbox: recording delivery results failed", "error", err, "results", len(results), "try", try+1)
			time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}
