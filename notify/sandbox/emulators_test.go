package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"alertdesk/notify"
)

// TestEmulatorsComplete fails when a platform registered in notify has no
// emulator here, or one that does not answer as notify expects: a new platform
// is not done until the sandbox can stand in for it.
func TestEmulatorsComplete(t *testing.T) {
	for p, em := range emulators {
		if notify.SpecOf(p).Protocol != p {
			t.Errorf("emulator registered for %q, which is not a protocol of notify", p)
		}
		if em.serve == nil || em.newToken == nil {
			t.Errorf("%s: serve or newToken missing", p)
		}
	}
	for _, p := range notify.Platforms {
		t.Run(string(p), func(t *testing.T) {
			spec := notify.SpecOf(p)
			em, ok := emulators[spec.Protocol]
			if !ok {
				t.Fatalf("no emulator for protocol %q", spec.Protocol)
			}
			if (em.newSecret != nil) != spec.Secret {
				t.Errorf("newSecret set %v, but notify says secrets %v", em.newSecret != nil, spec.Secret)
			}
			sb, ts := newTest(t, Options{Now: time.Now})
			policy := notify.HostPolicy{ExtraHosts: []string{ts.Listener.Addr().String()}}
			sender := notify.NewSender(policy, 10*time.Second)
			var kws []string
			if spec.Keywords {
				kws = []string{"needle"}
			}
			cfg := sb.AddRobot(RobotConfig{Platform: p, Secret: "generate", Keywords: kws})
			if spec.Secret && (cfg.Secret == "" || !strings.HasPrefix(cfg.Secret, spec.SecretPrefix)) {
				t.Errorf("generated secret %q (prefix %q)", cfg.Secret, spec.SecretPrefix)
			}
			r := notify.Robot{Platform: p, WebhookURL: ts.URL + "/sandbox" + WebhookPath(p, cfg.Token), Secret: cfg.Secret, Keywords: cfg.Keywords}
			if err := policy.CheckWebhook(p, r.WebhookURL); err != nil {
				t.Fatalf("a generated robot's URL is refused: %v", err)
			}
			m := notify.Message{Title: "disk full", Body: "db-1"}

			send := func(f Fault) notify.Outcome {
				t.Helper()
				sb.SetFault(cfg.Token, f)
				_, o := sender.Send(context.Background(), r, m)
				return o
			}
			if o := send(FaultNone); o.Class != notify.Delivered {
				t.Fatalf("not delivered: %+v", o)
			}
			if got := sb.MessagesFor(cfg.Token); len(got) != 1 || !got[0].Accepted || got[0].Platform != p || got[0].Title == "" {
				t.Errorf("recorded %+v", got)
			}
			for f, want := range map[Fault]notify.Class{FaultBusy: notify.Retry, FaultServerError: notify.Retry,
				FaultRateLimited: notify.RateLimited, FaultRemoved: notify.Misconfigured} {
				o := send(f)
				if o.Class != want {
					t.Errorf("fault %s: %s (%s), want %s", f, o.Class, o.Summary, want)
				}
				if f == FaultRateLimited && o.RetryAfter != spec.RateRetry {
					t.Errorf("rate limited: RetryAfter %v, want %v", o.RetryAfter, spec.RateRetry)
				}
			}
			if spec.Secret {
				wrong := r
				wrong.Secret = spec.SecretPrefix + "not-the-secret"
				sb.SetFault(cfg.Token, FaultNone)
				if _, o := sender.Send(context.Background(), wrong, m); o.Class != notify.Misconfigured {
					t.Errorf("wrong secret: %+v", o)
				}
			}
			if spec.Keywords {
				bare := r
				bare.Keywords = nil
				if _, o := sender.Send(context.Background(), bare, m); o.Class != notify.Misconfigured {
					t.Errorf("missing keyword: %+v", o)
				}
			}
		})
	}
}
