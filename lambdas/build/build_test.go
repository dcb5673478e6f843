package build_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/build"
)

// MaxZipBytes is the budget of one function's deployment package. Small zips keep cold
// starts and deploys fast; 6 MB leaves room for the SDK clients a function uses.
const MaxZipBytes = 6 << 20

func moduleRoot(tb testing.TB) string {
	tb.Helper()
	root, err := repo.Root()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// bundle builds a function exactly as the CDK bundling does (build.Command) and zips the
// bootstrap the way Lambda receives it; it returns both sizes in bytes.
func bundle(tb testing.TB, root string, f api.Function) (binBytes, zipBytes int64) {
	tb.Helper()
	out := tb.TempDir()
	cmd := build.Command(root, f.Package, out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s: go build failed: %v\n%s", f.Name, err, msg)
	}
	bin, err := os.ReadFile(filepath.Join(out, "bootstrap"))
	if err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(w, bytes.NewReader(bin)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return int64(len(bin)), int64(buf.Len())
}

// TestBundleSizes builds every function for linux/arm64 with the bundling flags and
// checks that each zip stays within MaxZipBytes.
func TestBundleSizes(t *testing.T) {
	root := moduleRoot(t)
	for _, f := range api.Functions {
		binBytes, zipBytes := bundle(t, root, f)
		t.Logf("%-10s bootstrap %8d bytes, zip %8d bytes", f.Name, binBytes, zipBytes)
		if zipBytes >= MaxZipBytes {
			t.Errorf("%s: zip is %d bytes, budget is %d", f.Name, zipBytes, MaxZipBytes)
		}
	}
}

// BenchmarkBundleSize reports each function's bootstrap and zip sizes as metrics, so
// they appear next to the other benchmark figures (the ns/op is the build time).
func BenchmarkBundleSize(b *testing.B) {
	root := moduleRoot(b)
	for _, f := range api.Functions {
		b.Run(f.Name, func(b *testing.B) {
			var binBytes, zipBytes int64
			for b.Loop() {
				binBytes, zipBytes = bundle(b, root, f)
			}
			b.ReportMetric(float64(binBytes), "bootstrap-bytes")
			b.ReportMetric(float64(zipBytes), "zip-bytes")
		})
	}
}
