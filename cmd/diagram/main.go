// Command diagram rewrites the architecture diagram in the docs (internal/diagram.Doc)
// from the app of cdk.json, synthesized with asset bundling skipped; --check only reports
// whether it is up to date.
//
//	go run ./cmd/diagram [--check]
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/internal/cdkapp"
	"github.com/example/notesplatform/internal/diagram"
)

func main() {
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	jsii.Close()
	os.Exit(code)
}

// run is the command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagram", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "only report whether "+diagram.Doc+" is up to date")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "diagram:", err)
		return 1
	}
	app, err := cdkapp.Build(cdkapp.Options{SkipBundling: true}) // the diagram does not look at assets
	if err != nil {
		return fail(err)
	}
	defer app.Cleanup()
	dir, err := app.Synth()
	if err != nil {
		return fail(err)
	}
	mermaid, err := diagram.Diagram(dir)
	if err != nil {
		return fail(err)
	}
	path := filepath.Join(app.Root, diagram.Doc)
	old, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	updated, err := diagram.Replace(string(old), mermaid)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", diagram.Doc, err))
	}
	if bytes.Equal(old, []byte(updated)) {
		fmt.Fprintln(stdout, diagram.Doc+": the diagram is up to date")
		return 0
	}
	if *check {
		return fail(errors.New(diagram.Doc + ": the diagram is out of date: run make diagram"))
	}
	if err := os.WriteFile(path, []byte(updated), 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, diagram.Doc+": diagram rewritten")
	return 0
}
