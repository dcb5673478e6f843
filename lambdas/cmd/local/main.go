// Command local runs the notes application on this machine without Docker or AWS: the SPA
// from web/, the API under /api/... through the same route table and handlers as the
// deployed Lambda functions, a local dynalite for the table, and a local sign-in issuer
// standing in for Cognito managed login (development only: anyone can sign in as any
// name).
//
//	go run ./lambdas/cmd/local              # http://127.0.0.1:8080, data in .local/dynalite
//	go run ./lambdas/cmd/local -fresh       # empty in-memory table, data folder untouched
//	go run ./lambdas/cmd/local -addr 127.0.0.1:9000
//
// It refuses to listen on anything but a loopback address.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/example/notesplatform/internal/repo"

	"github.com/example/notesplatform/lambdas/cmd/local/localserver"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "loopback `host:port` to listen on (port 0 picks a free one)")
	fresh := fs.Bool("fresh", false, "start with an empty in-memory table; the data folder is not touched")
	dataDir := fs.String("data", "", "`folder` that keeps the local table between runs (default <repo>/.local/dynalite)")
	webDir := fs.String("web", "", "`folder` of the single-page app (default <repo>/web)")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	// Refuse a non-loopback address before starting anything.
	if err := localserver.CheckLoopback(*addr); err != nil {
		return err
	}
	root, err := repo.Root()
	if err != nil && (*webDir == "" || (*dataDir == "" && !*fresh)) {
		return err
	}
	if *webDir == "" {
		*webDir = filepath.Join(root, "web")
	}
	if *fresh {
		*dataDir = ""
	} else if *dataDir == "" {
		*dataDir = filepath.Join(root, ".local", "dynalite")
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *quiet {
		logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	srv, err := localserver.Start(ctx, localserver.Options{
		Addr: *addr, WebDir: *webDir, DataDir: *dataDir, Logger: logger,
	})
	if err != nil {
		return err
	}
	data := *dataDir
	if data == "" {
		data = "in memory (-fresh): discarded on exit"
	}
	fmt.Fprintf(stdout, "Notes local server ready in %s\n", time.Since(started).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  App:     %s/\n", srv.URL)
	fmt.Fprintf(stdout, "  API:     %s/api/health\n", srv.URL)
	fmt.Fprintf(stdout, "  Data:    %s\n", data)
	fmt.Fprintf(stdout, "  Sign-in: local development issuer: type any user name (not Cognito)\n")
	fmt.Fprintf(stdout, "Press Ctrl+C to stop.\n")

	select {
	case <-ctx.Done():
	case err := <-srv.Done():
		if err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "Stopping…")
	return srv.Close()
}
