// Package e2e drives the single-page app in Debian's Chromium (through chromedp) against
// the local server started in-process: the SPA from web/, the API through the same route
// table and handlers as the Lambda functions, dynalite in a temporary folder and the local
// sign-in issuer. No network beyond loopback is used.
//
//	go test ./test/e2e/...
//
// Chromium must be installed (apt-get install -y chromium); without it the tests fail.
// Screenshots go to test/e2e/artifacts/.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/example/notesplatform/lambdas/cmd/local/localserver"
)

var (
	srv        *localserver.Server
	browserCtx context.Context
	artifacts  string
)

// chromiumPath finds the browser: $E2E_CHROMIUM, else Debian's chromium.
func chromiumPath() (string, error) {
	if p := os.Getenv("E2E_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("E2E_CHROMIUM=%s: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found on PATH: install it with `apt-get install -y chromium` (or set E2E_CHROMIUM)")
}

// browserTier skips a test in the inner loop (-short): the browser tests are the full
// tier, run by make test.
func browserTier(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("full tier (make test): drives Chromium against the local server")
	}
}

// logger shows the server's and the handlers' JSON logs when E2E_LOG is set.
func logger() *slog.Logger {
	if os.Getenv("E2E_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, nil))
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		return m.Run() // every test skips (browserTier): no browser, no server
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "FAIL: e2e setup: "+format+"\n", args...)
		return 1
	}
	_, file, _, _ := runtime.Caller(0)
	here := filepath.Dir(file)
	root := filepath.Join(here, "..", "..")
	artifacts = filepath.Join(here, "artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return fail("%v", err)
	}

	chromium, err := chromiumPath()
	if err != nil {
		// Never skip: a missing browser must not look like a passing run.
		return fail("%v", err)
	}

	tmp, err := os.MkdirTemp("", "notes-e2e-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(tmp)

	started := time.Now()
	srv, err = localserver.Start(context.Background(), localserver.Options{
		Addr:    "127.0.0.1:0",
		WebDir:  filepath.Join(root, "web"),
		DataDir: filepath.Join(tmp, "dynalite"),
		Logger:  logger(),
	})
	if err != nil {
		return fail("start the local server: %v", err)
	}
	defer srv.Close()
	fmt.Printf("e2e: local server at %s ready in %s\n", srv.URL, time.Since(started).Round(time.Millisecond))

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("no-proxy-server", true),
		// A name that resolves to this machine, as after DNS rebinding (TestRebindingHostIsRefused).
		chromedp.Flag("host-resolver-rules", "MAP rebind.test 127.0.0.1"),
		chromedp.UserDataDir(filepath.Join(tmp, "chromium")),
		chromedp.WindowSize(1200, 900),
	)
	defer cancelAlloc()
	var cancelBrowser context.CancelFunc
	browserCtx, cancelBrowser = chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first Do starts the browser; it must not carry a timeout (that would end the
	// browser with it), so a watchdog bounds it instead.
	startErr := make(chan error, 1)
	go func() { startErr <- chromedp.Do(browserCtx) }()
	select {
	case err := <-startErr:
		if err != nil {
			return fail("start chromium (%s): %v", chromium, err)
		}
	case <-time.After(60 * time.Second):
		return fail("chromium (%s) did not start within 60s", chromium)
	}
	fmt.Printf("e2e: chromium %s started; total setup %s\n", chromium, time.Since(started).Round(time.Millisecond))
	return m.Run()
}
