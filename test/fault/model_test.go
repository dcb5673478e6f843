package fault_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// state is a note as the API shows it.
type state struct {
	Version int      `json:"version"`
	Title   string   `json:"title"`
	Body    string   `json:"body"`
	Tags    []string `json:"tags"`
}

func (s state) same(o state) bool {
	return s.Version == o.Version && s.Title == o.Title && s.Body == o.Body && slices.Equal(s.Tags, o.Tags)
}

func (s state) String() string { return fmt.Sprintf("v%d %q", s.Version, s.Body) }

// modelNote is what a client knows of one of its notes: what the API acknowledged, and
// what it may have applied without saying so (a try whose answer was lost).
type modelNote struct {
	id    string
	nonce string // in the title: which create made it
	// acked is the last state the API acknowledged (201, 200, or read back).
	acked state
	// maybe are the states of updates tried after acked whose outcome is unknown.
	maybe []state
	// deleted: a delete was acknowledged; maybeDeleted: one was tried, outcome unknown.
	deleted, maybeDeleted bool
}

// allowed reports whether s is a state the note may be in: the acknowledged one or one
// written since by a try without an answer.
func (n *modelNote) allowed(s state) bool {
	if n.acked.same(s) {
		return true
	}
	return slices.ContainsFunc(n.maybe, s.same)
}

// user is one user's notes, as its worker's client knows them.
type user struct {
	sub   string
	notes []*modelNote // in creation order
	byID  map[string]*modelNote
	// unresolved are creates that never got an answer, by nonce: the note may exist, once.
	unresolved map[string]state
	// keys maps each Idempotency-Key to the note id its 201s named.
	keys map[string]string
}

func newUser(sub string) *user {
	return &user{sub: sub, byID: map[string]*modelNote{}, unresolved: map[string]state{}, keys: map[string]string{}}
}

// live returns the notes that are not known deleted.
func (u *user) live() []*modelNote {
	var out []*modelNote
	for _, n := range u.notes {
		if !n.deleted {
			out = append(out, n)
		}
	}
	return out
}

// nonceOf reads the create nonce from a title ("note <nonce>").
func nonceOf(title string) string {
	_, nonce, _ := strings.Cut(title, " ")
	return nonce
}

// check is one line of the checks table: what was checked, how often, and what broke it.
type check struct {
	name    string
	checked int
	broken  []string
}

// checks collects the violations of every rule, from every worker.
type checks struct {
	mu    sync.Mutex
	order []string
	by    map[string]*check
}

func newChecks(names ...string) *checks {
	c := &checks{by: map[string]*check{}}
	for _, n := range names {
		c.order = append(c.order, n)
		c.by[n] = &check{name: n}
	}
	return c
}

// ok counts one instance of a rule held; fail one that broke it.
func (c *checks) ok(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.by[name].checked++
}

func (c *checks) fail(name, format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := c.by[name]
	ch.checked++
	ch.broken = append(ch.broken, fmt.Sprintf(format, args...))
}

func (c *checks) failed() bool {
	for _, ch := range c.by {
		if len(ch.broken) > 0 {
			return true
		}
	}
	return false
}

// counter counts by key, safely from several workers.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) add(key string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[key] += n
}

func (c *counter) sorted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *counter) get(k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}
