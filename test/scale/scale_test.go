// Package scale measures what endpoints cost the deployed app: it synthesizes the app
// with N generated routes on new paths (api.Table.WithScaleRoutes, a test-only hook; the
// shipped route table is not edited) and checks every deploy-time limit that
// internal/quotas measures. `make bench-scale N=200` prints the figures docs/limits.md
// quotes; the tests hold the limits.
package scale

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/quotas"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/synthstamp"
	"github.com/example/notesplatform/lambdas/api"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary
	os.Exit(code)
}

// result is one synthesis of the whole app (every stage and the pipeline) and what it
// measured.
type result struct {
	routes   int // routes of the table
	elapsed  time.Duration
	measures []quotas.Measure
	findings []cfn.Annotation
	// stageResources counts the resources of every template of the dev stage, nested
	// stacks included; shards counts its nested route stacks.
	stageResources, shards int
}

// synth builds the app from cdk.json with the given route table, as app.go does, with
// asset bundling skipped (bundles do not depend on the routes), and times it: the
// benchmark's synthesis.
func synth(t testing.TB, table api.Table) result {
	t.Helper()
	start := time.Now()
	app, err := cdkapp.Build(cdkapp.Options{SkipBundling: true, Routes: &table, Outdir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := app.Synth()
	if err != nil {
		t.Fatal(err)
	}
	r := measure(t, out, len(table.Routes))
	r.elapsed = time.Since(start)
	return r
}

// fixture is the cloud assembly of the app with the given route table, synthesized once
// per source tree (cdkapp.Fixture): the tests' synthesis.
func fixture(t *testing.T, table api.Table) result {
	t.Helper()
	dir, err := cdkapp.Fixture(cdkapp.Options{Routes: &table}, true)
	if err != nil {
		t.Fatal(err)
	}
	return measure(t, dir, len(table.Routes))
}

// measure checks a cloud assembly's deploy-time limits and findings.
func measure(t testing.TB, dir string, routes int) result {
	t.Helper()
	r := result{routes: routes}
	var err error
	if r.measures, err = quotas.Check(dir); err != nil {
		t.Fatal(err)
	}
	read, err := cfn.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.findings = read.Findings()
	for _, m := range r.measures {
		if m.Limit.ID == quotas.Resources.ID && strings.HasPrefix(m.Stack, "dev/") {
			r.stageResources += int(m.Value)
			if strings.Count(m.Stack, "/") > 1 {
				r.shards++
			}
		}
	}
	return r
}

var (
	shippedOnce   sync.Once
	shippedResult result
	shippedErr    error
)

// shippedApp measures the shipped app in the cdk.out that `make synth` wrote, once per
// test binary: the tests compare against it. The scale sweep is the full tier.
func shippedApp(t *testing.T) result {
	t.Helper()
	if testing.Short() {
		t.Skip("full tier (make test): the scale sweep synthesizes the app with hundreds of routes")
	}
	shippedOnce.Do(func() {
		root, err := repo.Root()
		if err != nil {
			shippedErr = err
			return
		}
		dir, err := synthstamp.Shipped(root)
		if err != nil {
			shippedErr = err
			return
		}
		shippedResult = measure(t, dir, len(api.Shipped().Routes))
	})
	if shippedErr != nil {
		t.Fatal(shippedErr)
	}
	return shippedResult
}

// largest is the largest value of a limit over every stack and subject.
func (r result) largest(l quotas.Limit) quotas.Measure {
	var out quotas.Measure
	for _, m := range r.measures {
		if m.Limit.ID == l.ID && m.Value >= out.Value {
			out = m
		}
	}
	return out
}

// 200 routes on new paths synthesize cleanly and stay under 80% of every deploy-time
// limit; each costs at most 3 resources (its API Gateway resource, its method and the
// path's 405 method) and every function keeps one invoke permission.
func TestTwoHundredRoutes(t *testing.T) {
	const n = 200
	shipped := shippedApp(t)
	scaled := fixture(t, api.Shipped().WithScaleRoutes(n))
	for _, f := range scaled.findings {
		t.Errorf("finding: %s", f)
	}
	for _, b := range quotas.Breaches(scaled.measures) {
		t.Errorf("quota: %s", b)
	}
	perRoute := float64(scaled.stageResources-shipped.stageResources-(scaled.shards-shipped.shards)) / n
	if perRoute > 3 {
		t.Errorf("%.2f resources per route on a new path, want at most 3", perRoute)
	}
	if got := scaled.largest(quotas.APIResources).Value; got != shipped.largest(quotas.APIResources).Value+n {
		t.Errorf("API Gateway resources %v, want the shipped %v plus one per new path", got, shipped.largest(quotas.APIResources).Value)
	}
	if a, b := scaled.largest(quotas.FunctionPolicyBytes).Value, shipped.largest(quotas.FunctionPolicyBytes).Value; a != b {
		t.Errorf("largest function policy %v bytes with %d more routes, %v without: it must not grow", a, n, b)
	}
}

// A route on a path the API already has costs one resource: its method. The route is a
// method that the table's first path does not serve yet, for that path's function.
func TestRouteOnAnExistingPath(t *testing.T) {
	table := api.Shipped()
	path := table.Paths()[0]
	served := table.AllowedMethods(path)
	var method api.Method
	for _, m := range []api.Method{api.MethodPatch, api.MethodPut, api.MethodPost, api.MethodDelete, api.MethodGet} {
		if !slices.Contains(served, m) {
			method = m
			break
		}
	}
	if method == "" {
		t.Skipf("%s serves every method: no route to add on it", path)
	}
	var function string
	for _, r := range table.Routes {
		if r.Path == path {
			function = r.Function
			break
		}
	}
	route := api.Route{Method: method, Path: path, Function: function, Auth: api.User}
	if method == api.MethodPost || method == api.MethodPut || method == api.MethodPatch {
		route.Model = slices.Sorted(maps.Keys(table.Models))[0]
	}
	table.Routes = append(append([]api.Route(nil), table.Routes...), route)
	shipped, added := shippedApp(t), fixture(t, table)
	if d := added.stageResources - shipped.stageResources; d != 1 {
		t.Errorf("%s %s added %d resources, want 1 (the method)", method, path, d)
	}
}

// BenchmarkScale prints, for the shipped app and for N generated routes (make
// bench-scale N=200), the figures docs/limits.md quotes: the largest template in resources
// and bytes, the largest function policy, API Gateway resources, synth time and what an
// endpoint adds. Run it with -benchtime 1x.
func BenchmarkScale(b *testing.B) {
	n, err := strconv.Atoi(cmp.Or(os.Getenv("N"), "200"))
	if err != nil || n < 1 {
		b.Fatalf("N=%q: allowed is a positive number of routes", os.Getenv("N"))
	}
	synth(b, api.Shipped()) // warm the jsii kernel and the Go source hashes
	var shipped, scaled result
	for b.Loop() {
		shipped = synth(b, api.Shipped())
		scaled = synth(b, api.Shipped().WithScaleRoutes(n))
	}
	row := func(label string, r result) string {
		res, bytes := r.largest(quotas.Resources), r.largest(quotas.TemplateBytes)
		pol, apiRes := r.largest(quotas.FunctionPolicyBytes), r.largest(quotas.APIResources)
		return fmt.Sprintf("| %s | %d | %.0f (%s, %.0f%%) | %.0f (%.0f%%) | %.0f (%.0f%%) | %.0f (%.0f%%) | %d | %.1f s |",
			label, r.routes, res.Value, res.Stack, 100*res.Ratio(), bytes.Value, 100*bytes.Ratio(),
			pol.Value, 100*pol.Ratio(), apiRes.Value, 100*apiRes.Ratio(), r.shards, r.elapsed.Seconds())
	}
	perRoute := float64(scaled.stageResources-shipped.stageResources-(scaled.shards-shipped.shards)) / float64(n)
	perShard := float64(scaled.stageResources-shipped.stageResources) / float64(n)
	synthPer := (scaled.elapsed - shipped.elapsed).Seconds() * 1000 / float64(n)
	var sb strings.Builder
	fmt.Fprintln(&sb, "| app | routes | largest template, resources | largest template, bytes | largest function policy, bytes | API Gateway resources | route shards (dev) | synth, both stages and the pipeline |")
	fmt.Fprintln(&sb, "|---|---|---|---|---|---|---|---|")
	fmt.Fprintln(&sb, row("shipped", shipped))
	fmt.Fprintln(&sb, row(fmt.Sprintf("+%d routes", n), scaled))
	fmt.Fprintf(&sb, "\nper endpoint on a new path: %.2f resources (%.2f with the route shards' nested-stack resources), %.1f ms of synth\n",
		perRoute, perShard, synthPer)
	b.Log("\n" + sb.String())
	if dir := os.Getenv("BENCH_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("bench-scale-%d.md", n)), []byte(sb.String()), 0o644)
	}
	b.ReportMetric(perRoute, "resources/endpoint")
	b.ReportMetric(synthPer, "synth-ms/endpoint")
	if len(quotas.Breaches(scaled.measures)) > 0 || len(scaled.findings) > 0 {
		b.Errorf("%d routes do not pass the synth gate: %v %v", n, quotas.Breaches(scaled.measures), scaled.findings)
	}
}
