// Command registrygen rewrites internal/deploypolicy/registry/handlers.json from AWS's
// CloudFormation registry schemas: for each resource type, the IAM permissions that its
// create, update and delete handlers list.
//
//	go run ./cmd/registrygen -schemas <dir or zip> -source "<where, which date>"
//
// -schemas is AWS's CloudformationSchema.zip (published per region, see "Resource type
// schemas" in the CloudFormation User Guide) or a folder of its files, such as a repository
// that copies them verbatim. The types written are those already in the file, every type
// of deploypolicy.Table, and any named with -add (registry.Generate).
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/deploypolicy/registry"
)

func main() {
	schemas := flag.String("schemas", "", "AWS's CloudformationSchema.zip or a folder holding its JSON files")
	source := flag.String("source", "", "where the schemas come from and their date (written into the file)")
	out := flag.String("out", "internal/deploypolicy/registry/handlers.json", "file to write")
	add := flag.String("add", "", "comma-separated CloudFormation types to add to the file")
	flag.Parse()
	keep := slices.Collect(maps.Keys(deploypolicy.Table))
	for _, t := range strings.Split(*add, ",") {
		if t = strings.TrimSpace(t); t != "" {
			keep = append(keep, t)
		}
	}
	if err := registry.Generate(*schemas, *source, *out, keep); err != nil {
		fmt.Fprintln(os.Stderr, "registrygen:", err)
		os.Exit(1)
	}
}
