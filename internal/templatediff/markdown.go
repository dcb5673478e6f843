package templatediff

import (
	"fmt"
	"strings"
)

var marks = map[Change]string{Added: "+", Removed: "-", Changed: "~", Replaced: "±", MayReplace: "±?"}

// Markdown renders the diff of one stack for a pull-request comment: a table of the
// resources (a replaced or possibly replaced stateful resource in bold), then what
// broadens access.
func (d StackDiff) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### %s\n\n", d.Stack)
	if d.NotDeployed {
		b.WriteString("Not deployed yet: every resource below is new.\n\n")
	}
	if d.Empty() {
		b.WriteString("No change.\n\n")
		return b.String()
	}
	if len(d.Resources) > 0 {
		b.WriteString("| | resource | type | what changes |\n|---|---|---|---|\n")
		for _, r := range d.Resources {
			what := string(r.Change)
			var props []string
			for _, p := range r.Properties {
				switch p.Replaces {
				case "always":
					props = append(props, p.Name+" (replaces)")
				case "maybe":
					props = append(props, p.Name+" (may replace)")
				default:
					props = append(props, p.Name)
				}
			}
			if len(props) > 0 {
				what += ": " + strings.Join(props, ", ")
			}
			if r.Stateful && (r.Change == Replaced || r.Change == MayReplace || r.Change == Removed) {
				what = "**" + what + " (stateful: its data goes with it unless retained)**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", marks[r.Change], cell(r.Path), r.Type, cell(what))
		}
		b.WriteString("\n")
	}
	if len(d.Broadening) > 0 {
		b.WriteString("**Broadens access** (IAM or security groups):\n\n")
		for _, g := range d.Broadening {
			fmt.Fprintf(&b, "- %s %s: `%s`\n", g.Kind, cell(g.Resource), strings.ReplaceAll(g.Detail, "`", "'"))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Counts summarizes a diff: resources by change, and broadenings.
func (d StackDiff) Counts() string {
	n := map[Change]int{}
	for _, r := range d.Resources {
		n[r.Change]++
	}
	parts := []string{}
	for _, c := range []Change{Added, Changed, Replaced, MayReplace, Removed} {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
		}
	}
	if len(d.Broadening) > 0 {
		parts = append(parts, fmt.Sprintf("%d broadening", len(d.Broadening)))
	}
	if len(parts) == 0 {
		return "no change"
	}
	return strings.Join(parts, ", ")
}

// StatefulReplacements are the stateful resources the deploy replaces or removes.
func (d StackDiff) StatefulReplacements() []ResourceDiff {
	var out []ResourceDiff
	for _, r := range d.Resources {
		if r.Stateful && (r.Change == Replaced || r.Change == MayReplace || r.Change == Removed) {
			out = append(out, r)
		}
	}
	return out
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
