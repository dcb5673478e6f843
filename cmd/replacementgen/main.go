// Command replacementgen rewrites internal/templatediff/replacement.json, the create-only
// properties (whose change replaces a resource) of the resource types the app deploys,
// from AWS's CloudFormation registry schemas: -schemas is a folder of the schema files,
// -source a note of where they come from and their date, written into the file; -type adds
// a type (the file's own types are kept).
//
//	go run ./cmd/replacementgen -schemas <folder> -source <note> [-type AWS::X::Y]...
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/internal/templatediff"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	schemas := flag.String("schemas", "", "folder of CloudFormation registry schemas (aws-*.json)")
	source := flag.String("source", "", "where the schemas come from, and their date")
	var types list
	flag.Var(&types, "type", "a resource type to add, e.g. AWS::DynamoDB::Table; repeatable")
	flag.Parse()
	if err := run(*schemas, *source, types); err != nil {
		fmt.Fprintln(os.Stderr, "replacementgen:", err)
		os.Exit(1)
	}
}

func run(schemas, source string, types []string) error {
	data, err := templatediff.Generate(schemas, source, types)
	if err != nil {
		return err
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	out := filepath.Join(root, "internal", "templatediff", "replacement.json")
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d types\n", out, len(data.Types))
	return nil
}
