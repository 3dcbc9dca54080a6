//go:build pprof

package main

// Built only with -tags pprof: a profiling endpoint on ALERTDESK_PPROF_ADDR (default
// 127.0.0.1:6060) for performance work, e.g. under cmd/alertload. Never in a release.

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"os"
)

func init() {
	addr := os.Getenv("ALERTDESK_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go http.ListenAndServe(addr, nil)
}
