// Command synthbench measures `cdk synth` of the app against the floor: the smallest
// useful CDK Go app (test/testdata/synthfloor: one stack, one table), run by the same CDK
// CLI, Node.js and Go. It runs the two in turn (app, floor, app, floor...) after a warm-up
// of each, prints each run, the medians and the ratio app/floor, then a profile of the
// app's synth: the median of each phase over the runs (internal/synthprof) and the jsii
// round trips by kind, counted in one more run with JSII_DEBUG.
//
//	make bench-synth            # go run ./cmd/synthbench -n 3
//
// It needs what `make synth` needs (node_modules, Node 22 or newer first on PATH), and
// leaves cdk.out as a synth would.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	n := flag.Int("n", 3, "timed runs of each app")
	flag.Parse()
	if *n < 1 || *n > 50 {
		fmt.Fprintf(os.Stderr, "synthbench: -n %d: allowed is 1 to 50 runs\n", *n)
		os.Exit(2)
	}
	if err := run(os.Stdout, *n); err != nil {
		fmt.Fprintln(os.Stderr, "synthbench:", err)
		os.Exit(1)
	}
}

// commands are the two synths: the app as `make synth` runs it, and the floor with the
// same CLI and cdk.json (its context included) into a directory of its own.
func commands(floorOut string) (app, floor []string) {
	return []string{"npx", "cdk", "synth", "--quiet"},
		[]string{"npx", "cdk", "synth", "--quiet", "--app", "go run ./test/testdata/synthfloor", "--output", floorOut}
}

// timed runs a command with extra environment and returns its wall time and stderr.
func timed(argv []string, env ...string) (time.Duration, []byte, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, stderr.Bytes(), fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, stderr.String())
	}
	return d, stderr.Bytes(), nil
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(w io.Writer, n int) error {
	floorOut, err := os.MkdirTemp("", "synthfloor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(floorOut)
	app, floor := commands(floorOut)
	for _, warm := range [][]string{app, floor} { // Go build cache, jsii package cache, bundles
		if _, _, err := timed(warm); err != nil {
			return err
		}
	}
	var appS, floorS, ratios []float64
	phases := map[string][]float64{}
	fmt.Fprintln(w, "| run | app s | floor s | app/floor |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for i := range n {
		a, stderr, err := timed(app, "SYNTH_PROFILE=1")
		if err != nil {
			return err
		}
		for name, s := range profile(stderr) {
			phases[name] = append(phases[name], s)
		}
		f, _, err := timed(floor)
		if err != nil {
			return err
		}
		appS, floorS = append(appS, a.Seconds()), append(floorS, f.Seconds())
		ratios = append(ratios, a.Seconds()/f.Seconds())
		fmt.Fprintf(w, "| %d | %.2f | %.2f | %.2f |\n", i+1, a.Seconds(), f.Seconds(), a.Seconds()/f.Seconds())
	}
	fmt.Fprintf(w, "| median | %.2f | %.2f | %.2f |\n\n", median(appS), median(floorS), median(ratios))

	fmt.Fprintln(w, "| phase of the app's synth (SYNTH_PROFILE) | median s |")
	fmt.Fprintln(w, "|---|---|")
	var total float64
	for _, name := range slices.Sorted(maps.Keys(phases)) {
		m := median(phases[name])
		total += m
		fmt.Fprintf(w, "| %s | %.2f |\n", name, m)
	}
	fmt.Fprintf(w, "| inside the app, in all | %.2f |\n| the CLI and `go run` around it | %.2f |\n\n", total, median(appS)-total)

	_, stderr, err := timed(app, "JSII_DEBUG=1")
	if err != nil {
		return err
	}
	calls, byKind := roundTrips(stderr)
	fmt.Fprintf(w, "jsii round trips of one synth: %d\n\n| kind (created type or called member) | round trips |\n|---|---|\n", calls)
	kinds := slices.SortedFunc(maps.Keys(byKind), func(a, b string) int { return byKind[b] - byKind[a] })
	for _, k := range kinds[:min(len(kinds), 15)] {
		fmt.Fprintf(w, "| %s | %d |\n", k, byKind[k])
	}
	return nil
}

// profile sums the seconds of each phase that internal/synthprof printed.
func profile(stderr []byte) map[string]float64 {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "synthprof ")
		if !ok {
			continue
		}
		i := strings.LastIndexByte(rest, ' ')
		if s, err := strconv.ParseFloat(rest[i+1:], 64); i > 0 && err == nil {
			out[rest[:i]] += s
		}
	}
	return out
}

// roundTrips counts the requests the Go app sent to the jsii kernel (JSII_DEBUG logs each
// as "> {json}"), by the type created or the member called.
func roundTrips(stderr []byte) (int, map[string]int) {
	by := map[string]int{}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "> ")
		if !ok {
			continue
		}
		var req struct {
			API      string `json:"api"`
			FQN      string `json:"fqn"`
			Method   string `json:"method"`
			Property string `json:"property"`
		}
		if json.Unmarshal([]byte(line), &req) != nil || req.API == "" {
			continue
		}
		n++
		switch req.API {
		case "create":
			by["new "+req.FQN]++
		case "load":
			by["load"]++
		default:
			by[req.API+" "+req.Method+req.Property]++
		}
	}
	return n, by
}
