// Package synthprof times the phases of a synth (building constructs, synthesis, the gate)
// when SYNTH_PROFILE is set, so that `make bench-synth` can show where `make synth`'s time
// goes. Unset, Mark costs one environment lookup made once.
package synthprof

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

var (
	once    sync.Once
	enabled bool
	mu      sync.Mutex
	last    time.Time
	out     io.Writer = os.Stderr
)

// Mark ends the phase named what: with SYNTH_PROFILE set it prints one line "synthprof
// <phase> <seconds>" with the time since the previous mark (or since the process
// started, for the first).
func Mark(what string) {
	once.Do(func() {
		enabled = os.Getenv("SYNTH_PROFILE") != ""
		last = start
	})
	if !enabled {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	now := time.Now()
	fmt.Fprintf(out, "synthprof %s %.3f\n", what, now.Sub(last).Seconds())
	last = now
}

// start is when the process started (package initialization, before main).
var start = time.Now()
