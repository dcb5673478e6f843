package quotas

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// zippedSizes remembers, across runs, how large a directory asset is once zipped: the
// deflate pass over the functions' bundles is most of what the deploy-time check costs on
// a repeated synth, and an asset whose name (its hash), file count and byte count are
// unchanged zips to the same size. The cache lives in the user's cache directory; a
// missing or unreadable cache only means zipping again.
var zippedSizes = struct {
	sync.Mutex
	loaded bool
	path   string
	m      map[string]int64
}{}

// zipKey names a directory's contents: its asset hash (the folder's name), its files and
// their bytes.
func zipKey(dir string) (key string, unzipped int64, err error) {
	files := 0
	err = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		files++
		unzipped += info.Size()
		return nil
	})
	return fmt.Sprintf("%s/%d/%d", filepath.Base(dir), files, unzipped), unzipped, err
}

// cachedZipped is the remembered zipped size of a key.
func cachedZipped(key string) (int64, bool) {
	zippedSizes.Lock()
	defer zippedSizes.Unlock()
	if !zippedSizes.loaded {
		zippedSizes.loaded = true
		zippedSizes.m = map[string]int64{}
		if dir, err := os.UserCacheDir(); err == nil {
			zippedSizes.path = filepath.Join(dir, "notes-platform", "zipped-asset-sizes.json")
			if b, err := os.ReadFile(zippedSizes.path); err == nil {
				_ = json.Unmarshal(b, &zippedSizes.m)
			}
		}
	}
	n, ok := zippedSizes.m[key]
	return n, ok
}

// rememberZipped records a zipped size; it writes the cache file whole (rename), so a
// concurrent reader sees the old file or the new one.
func rememberZipped(key string, zipped int64) {
	zippedSizes.Lock()
	defer zippedSizes.Unlock()
	if zippedSizes.path == "" {
		return
	}
	zippedSizes.m[key] = zipped
	b, err := json.Marshal(zippedSizes.m)
	if err != nil || os.MkdirAll(filepath.Dir(zippedSizes.path), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(zippedSizes.path), "zipped-*.json")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), zippedSizes.path) != nil {
		os.Remove(tmp.Name())
	}
}
