package artifact_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/artifact"
)

// coldRequests is the first request each function serves in the benchmark: its most
// common route, with the AWS calls it makes (against dynalite, on loopback).
var coldRequests = map[string]artifact.Request{
	"Health":     {Method: "GET", Path: "/health"},
	"NotesRead":  {Method: "GET", Path: "/notes", User: "c0ffee00-0000-4000-8000-000000000001", Query: url.Values{"limit": {"20"}}},
	"NotesWrite": {Method: "POST", Path: "/notes", User: "c0ffee00-0000-4000-8000-000000000001", Body: `{"title":"cold","tags":["bench"]}`, Header: map[string][]string{"content-type": {"application/json"}}},
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// BenchmarkColdStart starts each function in a fresh execution environment under the
// emulator and measures, per start, the time from the first invocation (which starts
// the bootstrap process) to its response, the emulator's init duration (process start to
// the runtime's first request for work) and the bootstrap's peak RSS (VmHWM). The
// bundles are checked as always, but what runs is the same package built natively by
// lambdas/build's command: under qemu, times mean nothing.
//
//	go test ./test/artifact -run '^$' -bench ColdStart -benchtime 20x
//
// Reported per function: first-response-ms (median), its min and max, init-ms (median),
// rss-MB (max).
func BenchmarkColdStart(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	h, err := artifact.Start(ctx, artifact.Options{NativeBuild: true, BuildDir: b.TempDir(), Log: logWriter()})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for _, name := range h.FunctionNames() {
		req, ok := coldRequests[name]
		if !ok {
			b.Fatalf("no cold-start request for %s: add one to coldRequests", name)
		}
		b.Run(name, func(b *testing.B) {
			f, payload, err := h.Payload(req)
			if err != nil {
				b.Fatal(err)
			}
			var firsts, inits []float64
			var rss int64
			for range b.N {
				b.StopTimer()
				in, err := h.StartInstance(f)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				out, err := in.Invoke(ctx, payload)
				first := time.Since(t0)
				b.StopTimer()
				if err != nil {
					in.Stop()
					b.Fatal(err)
				}
				if resp, err := artifact.ToResponse(f.Name, out); err != nil || resp.Status >= 300 {
					in.Stop()
					b.Fatalf("%s answered %d %s (%v)", f.Name, resp.Status, resp.Body, err)
				}
				peak, err := in.PeakRSS()
				if err != nil {
					in.Stop()
					b.Fatal(err)
				}
				rss = max(rss, peak)
				firsts = append(firsts, float64(first.Microseconds())/1000)
				if m := initReport.FindStringSubmatch(in.Output()); m != nil {
					ms, _ := strconv.ParseFloat(m[1], 64)
					inits = append(inits, ms)
				}
				in.Stop()
				b.StartTimer()
			}
			slices.Sort(firsts)
			b.ReportMetric(median(firsts), "first-response-ms")
			b.ReportMetric(firsts[0], "min-ms")
			b.ReportMetric(firsts[len(firsts)-1], "max-ms")
			if len(inits) > 0 {
				slices.Sort(inits)
				b.ReportMetric(median(inits), "init-ms")
			}
			b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
			b.ReportMetric(0, "ns/op") // the wall time per op includes starting the emulator
		})
	}
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
