package test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden snapshots in test/testdata")

var (
	assetHash    = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	buildVersion = regexp.MustCompile(`("BUILD_VERSION":\s*)"[0-9a-f]{12}"`)
	// A function version's logical id ends in a hash of the function's configuration,
	// BUILD_VERSION included: it changes with the code, like an asset hash.
	versionHash = regexp.MustCompile(`(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}\b`)
)

// normalize makes a template independent of asset contents: an edit to a Lambda or to
// web/ changes hashes, not the infrastructure.
func normalize(v interface{}) []byte {
	b, _ := json.MarshalIndent(v, "", "  ") // map keys are sorted: stable output
	b = assetHash.ReplaceAll(b, []byte("<asset-hash>"))
	b = buildVersion.ReplaceAll(b, []byte(`$1"<build-version>"`))
	b = versionHash.ReplaceAll(b, []byte(`$1<version-hash>`))
	return append(b, '\n')
}

// checkGolden compares got with testdata/<name>.json, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no snapshot: run `go test ./test -update` and review the diff")
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the synthesized template (review, then `go test ./test -update`):\n%s", path, firstDiff(string(want), string(got), 12))
	}
}

// firstDiff shows the first differing lines with a little context.
func firstDiff(want, got string, n int) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		if i < len(w) && i < len(g) && w[i] == g[i] {
			continue
		}
		var out strings.Builder
		for j := max(0, i-3); j < i+n; j++ {
			if j < len(w) && (j >= len(g) || w[j] != g[j]) {
				fmt.Fprintf(&out, "line %d want: %s\n", j+1, w[j])
			}
			if j < len(g) && (j >= len(w) || w[j] != g[j]) {
				fmt.Fprintf(&out, "line %d got:  %s\n", j+1, g[j])
			}
		}
		return out.String()
	}
	return ""
}

// One golden snapshot per stack: any change to the infrastructure shows up as a reviewed
// diff in the pull request.
func TestSnapshots(t *testing.T) {
	s := shippedApp(t)
	for path, tpl := range s.Templates {
		t.Run(path, func(t *testing.T) {
			noPanic(t, func() {
				checkGolden(t, strings.ReplaceAll(path, "/", "-"), normalize(templateJSON(tpl)))
			})
		})
	}
}
