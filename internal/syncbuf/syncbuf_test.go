package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferKeepsUpToMaxAndMarks(t *testing.T) {
	b := &Buffer{Max: 10}
	if n, err := b.Write([]byte("hello ")); n != 6 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	mark := b.Len()
	_, _ = b.Write([]byte("world"))
	if got := b.Since(mark); got != "world" {
		t.Errorf("Since(%d) = %q", mark, got)
	}
	// Past Max, writes still succeed but nothing more is kept.
	if n, err := b.Write([]byte("dropped")); n != 7 || err != nil {
		t.Errorf("Write past Max = %d, %v", n, err)
	}
	if b.String() != "hello world" || b.Since(100) != "" {
		t.Errorf("String %q, Since(100) %q", b.String(), b.Since(100))
	}
}

func TestBufferConcurrentWriters(t *testing.T) {
	b := &Buffer{Max: 1 << 20}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
			}
		})
	}
	wg.Wait()
	if b.String() != strings.Repeat("x", 800) {
		t.Errorf("got %d bytes, want 800", b.Len())
	}
}
