package nag

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Finding is an error or warning annotation left in the cloud assembly, such as an
// unsuppressed cdk-nag rule or a CDK warning.
type Finding struct {
	Level string // "error" or "warning"
	Path  string // construct path, e.g. /dev/Backend/Api/Resource
	Text  string
}

func (f Finding) String() string { return fmt.Sprintf("%s %s: %s", f.Level, f.Path, f.Text) }

// Findings reads every stack's annotations below a cloud assembly directory (nested stage
// assemblies included). Synth fails on any: the CLI alone does not stop on warnings, nor
// on errors inside stages.
func Findings(dir string) ([]Finding, error) {
	var out []Finding
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".metadata.json") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var meta map[string][]struct {
			Type string `json:"type"`
			Data any    `json:"data"`
		}
		if err := json.Unmarshal(b, &meta); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for construct, entries := range meta {
			for _, e := range entries {
				if level, ok := strings.CutPrefix(e.Type, "aws:cdk:"); ok && (level == "error" || level == "warning") {
					out = append(out, Finding{Level: level, Path: construct, Text: fmt.Sprint(e.Data)})
				}
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out), err
}
