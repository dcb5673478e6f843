package docs

import (
	"fmt"
	"go/parser"
	"go/token"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

// This file reads Markdown the way GitHub renders it, as far as the checks need: fenced
// code blocks (skipped), headings and their anchors (GitHub's slugs), relative links,
// code spans that name repository paths, and the edit markers of worked examples.

// mdPage is what the checks read from one Markdown file.
type mdPage struct {
	Path    string          // slash-separated, relative to the root
	Anchors map[string]bool // heading slugs and explicit <a id|name> anchors
	Links   []mdRef         // link targets that are not URLs
	Paths   []mdRef         // code spans that look like repository paths
	Edits   []edit          // edit markers of worked examples
	Errs    []string        // markers that could not be read
}

// mdRef is a link target or a code span, with its line number.
type mdRef struct {
	Line int
	Text string
}

var (
	fenceRE    = regexp.MustCompile("^ *(`{3,}|~{3,})")
	headingRE  = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	linkRE     = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)`)
	refDefRE   = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$`)
	htmlIDRE   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	schemeRE   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	inlineLink = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	// A code span names a repository path when it is made of path characters only and
	// has a slash: `lambdas/api/api.go`, `internal/cfn`, `./cmd/quotas`, `lambdas/...`.
	pathSpanRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*/?$`)
	// editRE is an edit marker: <!-- edit <path>: <operation> --> before a fenced block.
	editRE = regexp.MustCompile(`^\s*<!--\s*edit\s+(\S+?):\s*(.*?)\s*-->\s*$`)
)

// parseMarkdown reads one page.
func parseMarkdown(rel, src string) mdPage {
	p := mdPage{Path: rel, Anchors: map[string]bool{}}
	seen := map[string]int{}
	var fence string // the open fence's marker, "" outside a fenced block
	var pending *edit
	var block []string
	lines := strings.Split(src, "\n")
	for i, line := range lines {
		n := i + 1
		if fence != "" {
			trimmed := strings.TrimLeft(line, " ")
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
				if pending != nil {
					pending.Body = strings.Join(block, "\n") + "\n"
					p.Edits = append(p.Edits, *pending)
					pending = nil
				}
				continue
			}
			if pending != nil {
				block = append(block, strings.TrimPrefix(line, pending.indent))
			}
			continue
		}
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			fence = m[1]
			if pending != nil {
				pending.indent = line[:strings.Index(line, fence)]
				block = nil
			}
			continue
		}
		if m := editRE.FindStringSubmatch(line); m != nil {
			e, err := parseEdit(m[1], m[2])
			if err != nil {
				p.Errs = append(p.Errs, fmt.Sprintf("%s:%d: %v", rel, n, err))
			} else {
				e.Line = n
				pending = &e
			}
			continue
		}
		if pending != nil && strings.TrimSpace(line) != "" {
			p.Errs = append(p.Errs, fmt.Sprintf("%s:%d: an edit marker must be followed by a fenced code block", rel, pending.Line))
			pending = nil
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			s := slug(m[2])
			if k := seen[s]; k > 0 {
				p.Anchors[fmt.Sprintf("%s-%d", s, k)] = true
			} else {
				p.Anchors[s] = true
			}
			seen[s]++
		}
		for _, m := range htmlIDRE.FindAllStringSubmatch(line, -1) {
			p.Anchors[m[1]] = true
		}
		spans := codeSpans(line)
		inSpan := func(at int) bool {
			for _, s := range spans {
				if at >= s[0] && at < s[1] {
					return true
				}
			}
			return false
		}
		for _, m := range linkRE.FindAllStringSubmatchIndex(line, -1) {
			target := line[m[2]:m[3]]
			if inSpan(m[0]) || target == "" || schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
				continue
			}
			p.Links = append(p.Links, mdRef{n, target})
		}
		if m := refDefRE.FindStringSubmatch(line); m != nil && !schemeRE.MatchString(m[1]) {
			p.Links = append(p.Links, mdRef{n, m[1]})
		}
		for _, s := range spans {
			text := strings.TrimSpace(line[s[2]:s[3]])
			text = strings.TrimPrefix(text, "./")
			text = strings.TrimSuffix(text, "/...")
			if pathSpanRE.MatchString(text) && strings.Contains(strings.TrimSuffix(text, "/"), "/") {
				p.Paths = append(p.Paths, mdRef{n, text})
			}
		}
	}
	if fence != "" {
		p.Errs = append(p.Errs, fmt.Sprintf("%s: a fenced code block is never closed", rel))
	}
	if pending != nil {
		p.Errs = append(p.Errs, fmt.Sprintf("%s:%d: an edit marker must be followed by a fenced code block", rel, pending.Line))
	}
	return p
}

// codeSpans returns the code spans of a line: [start, end) of the span with its
// backticks, then [start, end) of its content.
func codeSpans(line string) [][4]int {
	var out [][4]int
	for i := 0; i < len(line); {
		if line[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(line) && line[j] == '`' {
			j++
		}
		ticks := line[i:j]
		end := -1
		for k := j; k < len(line); {
			if line[k] != '`' {
				k++
				continue
			}
			l := k
			for l < len(line) && line[l] == '`' {
				l++
			}
			if line[k:l] == ticks {
				end = k
				break
			}
			k = l
		}
		if end < 0 {
			i = j
			continue
		}
		out = append(out, [4]int{i, end + len(ticks), j, end})
		i = end + len(ticks)
	}
	return out
}

// slug is the anchor GitHub gives a heading: its text lower-cased, without punctuation and
// symbols (hyphens and underscores stay), spaces turned into hyphens.
func slug(heading string) string {
	text := inlineLink.ReplaceAllString(heading, "$1")
	text = strings.ReplaceAll(text, "`", "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkPages checks the pages (slash-separated, relative to root): every relative link
// reaches a file or folder of the repository and, with a #fragment, a heading (or an
// explicit anchor) of that page; every code span that names a repository path names one
// that exists, is ignored by .gitignore (generated), is created by an example's edit
// marker, or is in pending (created by a branch not yet merged); every edit marker's
// anchors are found in the file it edits. It returns one line per problem.
func checkPages(root string, rels []string, pending map[string]string) []string {
	var problems []string
	top := map[string]bool{}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.Name() != ".git" {
			top[e.Name()] = true
		}
	}
	ignored := gitignore(root)
	parsed := map[string]mdPage{}
	read := func(rel string) (mdPage, error) {
		if p, ok := parsed[rel]; ok {
			return p, nil
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return mdPage{}, err
		}
		p := parseMarkdown(rel, string(src))
		parsed[rel] = p
		return p, nil
	}
	created := map[string]bool{}
	var all []mdPage
	for _, rel := range rels {
		p, err := read(rel)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		all = append(all, p)
		for _, e := range p.Edits {
			if e.Op == opNewFile {
				for dir := e.File; dir != "." && dir != ""; dir = path.Dir(dir) {
					created[dir] = true
				}
			}
		}
	}
	for _, p := range all {
		problems = append(problems, p.Errs...)
		for _, l := range p.Links {
			target, fragment, _ := strings.Cut(l.Text, "#")
			where := fmt.Sprintf("%s:%d: link %s", p.Path, l.Line, l.Text)
			unescaped, err := url.PathUnescape(target)
			if err != nil {
				problems = append(problems, where+": "+err.Error())
				continue
			}
			rel := p.Path
			if unescaped != "" {
				rel = path.Clean(path.Join(path.Dir(p.Path), unescaped))
				if rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(unescaped) {
					problems = append(problems, where+": points outside the repository")
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					problems = append(problems, where+": "+rel+" does not exist")
					continue
				}
			}
			if fragment == "" {
				continue
			}
			if !strings.HasSuffix(rel, ".md") {
				if !regexp.MustCompile(`^L\d+(-L\d+)?$`).MatchString(fragment) {
					problems = append(problems, where+": #"+fragment+" in a file that is not Markdown")
				}
				continue
			}
			target2, err := read(rel)
			if err != nil {
				problems = append(problems, where+": "+err.Error())
				continue
			}
			if !target2.Anchors[fragment] {
				problems = append(problems, fmt.Sprintf("%s: no heading of %s has the anchor #%s", where, rel, fragment))
			}
		}
		for _, s := range p.Paths {
			clean := strings.TrimSuffix(s.Text, "/")
			first, _, _ := strings.Cut(clean, "/")
			if !top[first] && !sourceExt.MatchString(clean) {
				continue // not a path of this repository (a module path, a URL path...)
			}
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(clean))); err == nil ||
				ignored(clean) || created[clean] {
				continue
			}
			if _, ok := pending[clean]; ok {
				continue
			}
			problems = append(problems, fmt.Sprintf("%s:%d: `%s` does not exist", p.Path, s.Line, s.Text))
		}
		for _, e := range p.Edits {
			if e.Op == opNewFile {
				continue
			}
			src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(e.File)))
			if err == nil {
				_, err = e.apply(string(src))
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: edit %s: %v", p.Path, e.Line, e.File, err))
			}
		}
	}
	return problems
}

// sourceExt is the file names a path-like code span names in this repository, whatever
// its first folder: a typo in the folder is still caught.
var sourceExt = regexp.MustCompile(`\.(go|md|json|mod|sum|txt|mjs|js|css|html|png|yaml|yml)$`)

// gitignore returns a test of whether .gitignore ignores a path (generated output such as
// cdk.out or test/e2e/artifacts): the subset of its syntax the file uses.
func gitignore(root string) func(string) bool {
	src, _ := os.ReadFile(filepath.Join(root, ".gitignore"))
	var patterns []string
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "!") {
			patterns = append(patterns, strings.Trim(l, "/"))
		}
	}
	return func(rel string) bool {
		segs := strings.Split(rel, "/")
		for _, p := range patterns {
			if strings.Contains(p, "/") {
				if rel == p || strings.HasPrefix(rel, p+"/") {
					return true
				}
				continue
			}
			for _, s := range segs {
				if ok, _ := path.Match(p, s); ok {
					return true
				}
			}
		}
		return false
	}
}

// checkPackageDocs returns one line per Go package under root (testdata, node_modules and
// hidden folders aside) that has no package doc comment saying what it is ("Package x
// ..." or "Command x ...").
func checkPackageDocs(root string) []string {
	var problems []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if p != root && (name == "testdata" || name == "node_modules" || name == "cdk.out" || strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(p, "*.go"))
		if len(files) == 0 {
			return nil
		}
		documented := false
		for _, f := range files {
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				continue
			}
			if doc := parsed.Doc.Text(); strings.HasPrefix(doc, "Package ") || strings.HasPrefix(doc, "Command ") {
				documented = true
				break
			}
		}
		if !documented {
			rel, _ := filepath.Rel(root, p)
			problems = append(problems, filepath.ToSlash(rel)+`: no package doc comment ("Package <name> ..." or "Command <name> ...") says what it is`)
		}
		return nil
	})
	return problems
}
