package quotas

import (
	"os"
	"path/filepath"
	"testing"
)

// A directory asset's zipped size comes from the cache when its name, files and bytes are
// those measured before, and is measured again (and right) when they are not.
func TestZippedSizesAreRemembered(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	zippedSizes.Lock()
	zippedSizes.loaded, zippedSizes.path, zippedSizes.m = false, "", nil
	zippedSizes.Unlock()
	dir := filepath.Join(t.TempDir(), "asset.0123abcd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bootstrap"), make([]byte, 1<<16), 0o755); err != nil {
		t.Fatal(err)
	}
	key, _, err := zipKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, hit := cachedZipped(key); hit {
		t.Fatal("a new cache holds the asset already")
	}
	zipped, _, _, err := dirSizes(dir)
	if err != nil {
		t.Fatal(err)
	}
	rememberZipped(key, zipped)
	// A new process reads the file.
	zippedSizes.Lock()
	zippedSizes.loaded = false
	zippedSizes.Unlock()
	if n, hit := cachedZipped(key); !hit || n != zipped {
		t.Fatalf("cached %d (hit %v), want %d", n, hit, zipped)
	}
	if err := os.WriteFile(filepath.Join(dir, "extra"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, _, _ := zipKey(dir)
	if _, hit := cachedZipped(changed); hit || changed == key {
		t.Fatalf("a changed asset (%s) is taken for the measured one (%s)", changed, key)
	}
}
