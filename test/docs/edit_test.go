package docs

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// An edit marker is an HTML comment (invisible on GitHub) right before a fenced code block
// of a worked example. It says, for a machine, what the prose around it says for a
// person: which file the block goes into, and where.
//
//	<!-- edit <file>: new file -->
//	<!-- edit <file>: append to the end of the file -->
//	<!-- edit <file>: append to the block opened by `<text>` -->
//	<!-- edit <file>: insert after the block opened by `<text>` -->
//	<!-- edit <file>: insert after the line containing `<text>` -->
//
// Any of the last three may end with: after `<other text>`, to search for <text> only
// from the first line containing <other text>. A block is opened by a line that contains
// <text> and ends with "{"; it is closed by the next line with the same indentation that
// starts with "}". The code block's lines are inserted as they are, less the indentation
// of the fence (the list item's).

type editOp string

const (
	opNewFile      editOp = "new file"
	opAppendToFile editOp = "append to the end of the file"
	opAppendBlock  editOp = "append to the block opened by"
	opAfterBlock   editOp = "insert after the block opened by"
	opAfterLine    editOp = "insert after the line containing"
)

// edit is one marker and its code block.
type edit struct {
	File   string // slash-separated, relative to the root
	Op     editOp
	Anchor string // the text that finds the line
	After  string // search for Anchor from the line that contains After
	Body   string // the code block, ending in a newline
	Line   int    // the marker's line on its page
	indent string // the fence's indentation
}

var editOpRE = regexp.MustCompile("^(new file|append to the end of the file|append to the block opened by|insert after the block opened by|insert after the line containing)(?:\\s+`([^`]+)`)?(?:,?\\s+after\\s+`([^`]+)`)?$")

func parseEdit(file, op string) (edit, error) {
	m := editOpRE.FindStringSubmatch(op)
	if m == nil {
		return edit{}, fmt.Errorf("edit %s: %q is not an operation: allowed are new file, append to the end of the file, "+
			"append to the block opened by `...`, insert after the block opened by `...`, insert after the line containing `...` (each may end with: after `...`)", file, op)
	}
	e := edit{File: file, Op: editOp(m[1]), Anchor: m[2], After: m[3]}
	needsAnchor := e.Op != opNewFile && e.Op != opAppendToFile
	if needsAnchor != (e.Anchor != "") || (!needsAnchor && e.After != "") {
		return edit{}, fmt.Errorf("edit %s: %q: %s takes %s", file, op, e.Op, map[bool]string{true: "a `text` to find", false: "no text"}[needsAnchor])
	}
	return e, nil
}

// apply returns src with the edit made (for a new file, the block itself).
func (e edit) apply(src string) (string, error) {
	switch e.Op {
	case opNewFile:
		return e.Body, nil
	case opAppendToFile:
		return strings.TrimRight(src, "\n") + "\n\n" + e.Body, nil
	}
	lines := strings.SplitAfter(src, "\n")
	from := 0
	if e.After != "" {
		from = indexContaining(lines, 0, e.After)
		if from < 0 {
			return "", fmt.Errorf("no line contains `%s`", e.After)
		}
	}
	at := indexContaining(lines, from, e.Anchor)
	if at < 0 {
		return "", fmt.Errorf("no line contains `%s`%s", e.Anchor, map[bool]string{true: " after `" + e.After + "`"}[e.After != ""])
	}
	insert := at + 1
	if e.Op != opAfterLine {
		end, err := blockEnd(lines, at)
		if err != nil {
			return "", err
		}
		insert = end
		if e.Op == opAfterBlock {
			insert = end + 1
		}
	}
	out := append(append(append([]string{}, lines[:insert]...), e.Body), lines[insert:]...)
	return strings.Join(out, ""), nil
}

func indexContaining(lines []string, from int, text string) int {
	for i := from; i < len(lines); i++ {
		if strings.Contains(lines[i], text) {
			return i
		}
	}
	return -1
}

// blockEnd is the index of the line that closes the block opened at line at.
func blockEnd(lines []string, at int) (int, error) {
	open := strings.TrimRight(lines[at], "\r\n")
	if !strings.HasSuffix(strings.TrimSpace(open), "{") {
		return 0, fmt.Errorf("the line %q opens no block (it does not end with {)", strings.TrimSpace(open))
	}
	indent := open[:len(open)-len(strings.TrimLeft(open, " \t"))]
	for i := at + 1; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], "\r\n")
		if strings.HasPrefix(l, indent+"}") && strings.TrimLeft(l, " \t") == l[len(indent):] {
			return i, nil
		}
	}
	return 0, errors.New("the block opened by " + fmt.Sprintf("%q", strings.TrimSpace(open)) + " is never closed")
}
