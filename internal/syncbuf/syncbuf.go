// Package syncbuf is the goroutine-safe, bounded buffer that the test harnesses collect a
// child process's output in (the Lambda emulator, dynalite), so that a failure can show
// what the process said without a chatty process filling memory.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer collects output written from several goroutines (a process's stdout and stderr,
// a copier). It keeps the first Max bytes and drops the rest, so Len and Since stay
// meaningful as marks; its zero value keeps nothing, so set Max.
type Buffer struct {
	// Max is how many bytes the buffer keeps.
	Max int

	mu sync.Mutex
	b  bytes.Buffer
}

// Write keeps what fits under Max and reports every byte written, so that the writing
// process never sees an error because its output is no longer kept.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < s.Max {
		s.b.Write(p)
	}
	return len(p), nil
}

// String returns everything kept so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Len returns how many bytes are kept: a mark for Since.
func (s *Buffer) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}

// Since returns what was kept after the first n bytes (n from Len), so a caller can show
// the output of one invocation of a long-running process.
func (s *Buffer) Since(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n > s.b.Len() {
		return ""
	}
	return string(s.b.Bytes()[n:])
}
