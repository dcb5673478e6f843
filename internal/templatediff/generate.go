package templatediff

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// RegenerateCommand is how replacement.json says it was made.
const RegenerateCommand = "go run ./cmd/replacementgen -schemas <folder of CloudFormation registry schemas> -source <note> [-type AWS::X::Y]..."

// Generate reads the CloudFormation registry schemas in a folder (the files of AWS's
// CloudformationSchema.zip, or a repository that copies them verbatim) and returns the
// create-only property paths of the given types plus those already in the vendored data,
// so that a regeneration never drops a type silently: a type missing from the schemas is
// an error.
func Generate(schemas, source string, types []string) (ReplacementData, error) {
	if schemas == "" || strings.TrimSpace(source) == "" {
		return ReplacementData{}, errors.New("-schemas and -source are required: name the schemas and where they come from")
	}
	files, err := filepath.Glob(filepath.Join(schemas, "*.json"))
	if err != nil {
		return ReplacementData{}, err
	}
	all := map[string]CreateOnlyPaths{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return ReplacementData{}, err
		}
		var s struct {
			TypeName    string   `json:"typeName"`
			CreateOnly  []string `json:"createOnlyProperties"`
			Conditional []string `json:"conditionalCreateOnlyProperties"`
		}
		if json.Unmarshal(b, &s) != nil || s.TypeName == "" {
			continue // not a resource schema
		}
		all[s.TypeName] = CreateOnlyPaths{Always: sorted(s.CreateOnly), Conditional: sorted(s.Conditional)}
	}
	want := append(slices.Clone(types), slices.Collect(mapsKeys(replacement.Types))...)
	out := ReplacementData{Source: strings.TrimSpace(source), Regenerate: RegenerateCommand, Types: map[string]CreateOnlyPaths{}}
	var missing []string
	for _, t := range want {
		p, ok := all[t]
		if !ok {
			missing = append(missing, t)
			continue
		}
		out.Types[t] = p
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return out, fmt.Errorf("no registry schema for %s in %s", strings.Join(slices.Compact(missing), ", "), schemas)
	}
	return out, nil
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
