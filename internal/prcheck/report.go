package prcheck

import (
	"encoding/xml"
	"fmt"
	"strings"
)

// MaxCommentLength is the longest comment CodeCommit accepts (PostCommentForPullRequest
// answers CommentContentSizeLimitExceededException beyond 10,240 characters).
const MaxCommentLength = 10240

// Title is the first line of every report, so that reviewers (and tests) find it.
const Title = "Pull-request check"

// Comment is the report for the pull request, in Markdown and at most MaxCommentLength
// characters: the result, the commit and tier, a line per step, the end of each failed
// step's output, the infrastructure diff, and the build log's link. What does not fit is
// cut with a pointer to the build log, which has all of it.
func Comment(r *Result) string {
	var b strings.Builder
	verdict := "passed"
	if !r.Passed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "### %s: %s\n\n", Title, verdict)
	fmt.Fprintf(&b, "Commit `%s`", short(r.Source.Commit))
	if r.Source.Revision != "" {
		fmt.Fprintf(&b, " (revision `%s`)", short(r.Source.Revision))
	}
	if r.Source.Base != "" {
		fmt.Fprintf(&b, " against `%s`", short(r.Source.Base))
	}
	fmt.Fprintf(&b, ", tier **%s**, %s.", r.Tier, r.Duration)
	if r.BuildURL != "" {
		fmt.Fprintf(&b, " [Build log](%s).", r.BuildURL)
	}
	b.WriteString("\n\n")
	if r.Tier != Full {
		fmt.Fprintf(&b, "> Lighter tier: %s.\n\n", r.TierReason)
	}
	b.WriteString("| step | result | time | command |\n|---|---|---|---|\n")
	for _, s := range r.Steps {
		cmd := s.Command
		if s.Kind == InfraDiff {
			cmd = "deployed templates read through the lookup role"
		}
		result := string(s.Status)
		if s.Status == Failed {
			result = "**failed**"
		}
		if s.Note != "" && s.Status != Failed {
			result += ": " + s.Note
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` |\n", s.Name, cell(result), s.Duration, cell(cmd))
	}
	b.WriteString("\n")
	if r.Tier != Docs {
		b.WriteString("The artifact tests (the arm64 bundles under the Lambda emulator) run in the pipeline's ArtifactTests step after the merge, not here.\n\n")
	}
	for _, s := range r.Steps {
		if s.Status != Failed {
			continue
		}
		fmt.Fprintf(&b, "<details><summary>%s: %s</summary>\n\n```\n%s\n```\n</details>\n\n", s.Name, cell(s.Note), strings.ReplaceAll(s.Tail, "```", "'''"))
	}
	if r.Diff != "" {
		fmt.Fprintf(&b, "#### What this would change in %s\n\nAgainst what is deployed now (`cdk diff`, read through the lookup role). A replaced or removed stateful resource is in bold.\n\n%s", r.Stage, r.Diff)
	}
	return truncate(b.String(), r.BuildURL)
}

func truncate(s, buildURL string) string {
	if len(s) <= MaxCommentLength {
		return s
	}
	note := "\n\n… cut to fit CodeCommit's comment limit"
	if buildURL != "" {
		note += ": the [build log](" + buildURL + ") has the whole report."
	}
	cut := MaxCommentLength - len(note)
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + note
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func short(s string) string {
	if len(s) > 12 && !strings.HasPrefix(s, "refs/") {
		return s[:12]
	}
	return s
}

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// JUnit is the result as a JUnit XML report (one test case per step), which CodeBuild
// keeps in the project's report group: each step's result and time in the console.
func JUnit(r *Result) ([]byte, error) {
	type failure struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      float64  `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
	}
	type suite struct {
		XMLName  xml.Name   `xml:"testsuite"`
		Name     string     `xml:"name,attr"`
		Tests    int        `xml:"tests,attr"`
		Failures int        `xml:"failures,attr"`
		Skipped  int        `xml:"skipped,attr"`
		Time     float64    `xml:"time,attr"`
		Cases    []testcase `xml:"testcase"`
	}
	s := suite{Name: "pull-request check (" + string(r.Tier) + ")", Time: r.Duration.Seconds()}
	for _, st := range r.Steps {
		c := testcase{Name: st.Name, Classname: "prcheck." + string(r.Tier), Time: st.Duration.Seconds()}
		switch st.Status {
		case Failed:
			c.Failure = &failure{Message: st.Note, Text: st.Tail}
			s.Failures++
		case Skipped:
			c.Skipped = &skipped{Message: st.Note}
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	out, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}
