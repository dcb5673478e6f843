// Package diagram draws the architecture diagram (Mermaid) from a cloud assembly read by
// internal/cfn, so the picture in the docs is generated from what the app deploys rather
// than drawn by hand; `make diagram` (cmd/diagram) writes it between the markers of Doc.
package diagram

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/cfn"
)

// Doc is the page, relative to the repository root, that holds the generated diagram.
const Doc = "docs/architecture.md"

// Markers around the generated block in Doc.
const (
	diagramStart = "<!-- diagram:start -->"
	diagramEnd   = "<!-- diagram:end -->"
)

// mainTypes are the resources the diagram shows, with their labels.
var mainTypes = map[string]string{
	"AWS::CloudTrail::Trail":        "CloudTrail trail",
	"AWS::EC2::VPC":                 "VPC",
	"AWS::KMS::Key":                 "KMS key",
	"AWS::DynamoDB::Table":          "DynamoDB table",
	"AWS::Cognito::UserPool":        "Cognito user pool",
	"AWS::Lambda::Function":         "Lambda function",
	"AWS::ApiGateway::RestApi":      "REST API",
	"AWS::S3::Bucket":               "S3 bucket",
	"AWS::CloudFront::Distribution": "CloudFront distribution",
	"AWS::CodePipeline::Pipeline":   "CodePipeline",
	"AWS::CodeCommit::Repository":   "CodeCommit repository",
}

// internal are construct ids of the handlers and helpers that CDK adds for itself (custom
// resource providers, the pipeline's auto-approval): not part of the architecture.
func internal(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "Custom::") || seg == "PipelinesSecurityCheck" || singletonID.MatchString(seg) {
			return true
		}
	}
	return false
}

// singletonID is the id of a CDK singleton function (e.g. AwsCustomResource's provider).
var singletonID = regexp.MustCompile(`^AWS[0-9a-f]{32}$`)

type assemblyStage struct {
	Name, Env string
	Stacks    []*cfn.Stack
}

// env is how the diagram names a stack's environment.
func env(s *cfn.Stack) string { return s.Account + ", " + s.Region }

// readAssembly reads every stack of a cloud assembly: the top-level stacks and those of
// each stage (nested assembly), in deployment order. Nested stacks are parts of their
// parent here.
func readAssembly(dir string) (top []*cfn.Stack, stages []*assemblyStage, err error) {
	asm, err := cfn.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	byStage := map[string][]*cfn.Stack{}
	for _, s := range asm.Stacks {
		if s.Parent == nil {
			byStage[s.Stage] = append(byStage[s.Stage], s)
		}
	}
	for _, name := range asm.Stages {
		st := &assemblyStage{Name: name, Stacks: deploymentOrder(byStage[name])}
		if len(st.Stacks) > 0 {
			st.Env = env(st.Stacks[0])
		}
		stages = append(stages, st)
	}
	return deploymentOrder(byStage[""]), stages, nil
}

// deploymentOrder sorts stacks so that each comes after the stacks it depends on (ties by
// artifact id).
func deploymentOrder(in []*cfn.Stack) []*cfn.Stack {
	var out []*cfn.Stack
	done := map[string]bool{}
	for len(out) < len(in) {
		progressed := false
		for _, s := range in {
			if done[s.ID] {
				continue
			}
			ready := true
			for _, d := range s.Dependencies {
				if !done[d] && slices.ContainsFunc(in, func(o *cfn.Stack) bool { return o.ID == d }) {
					ready = false
				}
			}
			if ready {
				out = append(out, s)
				done[s.ID] = true
				progressed = true
			}
		}
		if !progressed { // a cycle cannot happen in an assembly; keep every stack anyway
			for _, s := range in {
				if !done[s.ID] {
					out = append(out, s)
					done[s.ID] = true
				}
			}
		}
	}
	return out
}

// node is one main resource.
type node struct{ ID, Type, Name string }

// path is the construct path of a logical id inside its stack ("Notes/Resource/Resource"),
// "" when the assembly does not say.
func path(s *cfn.Stack, logicalID string) string {
	if p, ok := strings.CutPrefix(s.Paths[logicalID], s.Display+"/"); ok {
		return p
	}
	return ""
}

// shortName is the construct path inside the stack without the L1/L2 "Resource" segments:
// "Notes/Resource/Resource" is "Notes", "Site/Bucket/Resource" is "Site/Bucket".
func shortName(s *cfn.Stack, logicalID string) string {
	p := path(s, logicalID)
	if p == "" {
		return logicalID
	}
	segs := strings.Split(p, "/")
	for len(segs) > 1 && segs[len(segs)-1] == "Resource" {
		segs = segs[:len(segs)-1]
	}
	return strings.Join(segs, "/")
}

func mainNodes(s *cfn.Stack) []node {
	var out []node
	for id, r := range s.Template.Resources {
		if _, ok := mainTypes[r.Type]; !ok || internal(path(s, id)) {
			continue
		}
		out = append(out, node{ID: id, Type: r.Type, Name: shortName(s, id)})
	}
	slices.SortFunc(out, func(a, b node) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// references maps producer stack name -> the top-level constructs of that stack whose
// resources this stack's template reads through Fn::GetStackOutput (CDK's weak cross-stack
// references).
func references(s *cfn.Stack, byName map[string]*cfn.Stack) map[string][]string {
	out := map[string][]string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Fn::GetStackOutput"].(map[string]any); ok {
				producer := byName[fmt.Sprint(ref["StackName"])]
				if producer != nil {
					// The top-level construct: "Alarms/Api5xx" and "Alarms/ApiLatency" are "Alarms".
					name, _, _ := strings.Cut(outputSource(producer, fmt.Sprint(ref["OutputName"])), "/")
					if !slices.Contains(out[producer.Name], name) {
						out[producer.Name] = append(out[producer.Name], name)
					}
				}
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, r := range s.Template.Resources {
		walk(r.Properties)
		walk(r.Metadata)
	}
	for _, o := range s.Template.Outputs {
		walk(o.Value)
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// outputSource names the resource an output of this stack refers to.
func outputSource(s *cfn.Stack, output string) string {
	var find func(v any) string
	find = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Ref"].(string); ok && !strings.HasPrefix(ref, "AWS::") {
				return shortName(s, ref)
			}
			if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 {
				return shortName(s, fmt.Sprint(att[0]))
			}
			for _, k := range slices.Sorted(maps.Keys(x)) {
				if n := find(x[k]); n != "" {
					return n
				}
			}
		case []any:
			for _, e := range x {
				if n := find(e); n != "" {
					return n
				}
			}
		}
		return ""
	}
	if n := find(s.Template.Outputs[output].Value); n != "" {
		return n
	}
	return output
}

var nonID = regexp.MustCompile(`[^A-Za-z0-9_]`)

// ID is a Mermaid node id made of parts: letters, digits and underscores only.
func ID(parts ...string) string {
	return nonID.ReplaceAllString(strings.Join(parts, "_"), "_")
}

func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;").Replace(s)
}

func stackPart(s *cfn.Stack) string {
	if s.Stage == "" {
		return s.Display
	}
	return strings.TrimPrefix(s.Display, s.Stage+"/")
}

// Diagram renders the cloud assembly as a Mermaid flowchart: the top-level stacks (the
// pipeline) and the first stage in full (stacks, main resources, cross-stack references),
// the other stages as one node each that says how their main resources differ from the
// first's. It is deterministic: the same assembly gives the same text.
func Diagram(assembly string) (string, error) {
	top, stages, err := readAssembly(assembly)
	if err != nil {
		return "", err
	}
	if len(stages) == 0 {
		return "", errors.New("the cloud assembly has no stage")
	}
	byName := map[string]*cfn.Stack{}
	for _, s := range top {
		byName[s.Name] = s
	}
	for _, st := range stages {
		for _, s := range st.Stacks {
			byName[s.Name] = s
		}
	}
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("flowchart TB")
	stackBlock := func(indent string, s *cfn.Stack, id string) {
		title := mermaidText(stackPart(s))
		if stackPart(s) != s.Name {
			title += "<br/>" + mermaidText(s.Name)
		}
		w(`%ssubgraph %s["%s"]`, indent, id, title)
		for _, n := range mainNodes(s) {
			w(`%s  %s["%s<br/>%s"]`, indent, ID(id, n.Name), mermaidText(mainTypes[n.Type]), mermaidText(n.Name))
		}
		w("%send", indent)
	}
	edges := func(stacks []*cfn.Stack, idOf func(*cfn.Stack) string) {
		for _, s := range stacks {
			refs := references(s, byName)
			for _, producer := range slices.Sorted(maps.Keys(refs)) {
				p := byName[producer]
				if idOf(p) == "" {
					continue
				}
				w(`  %s -->|"%s"| %s`, idOf(s), mermaidText(strings.Join(refs[producer], ", ")), idOf(p))
			}
		}
	}
	first := stages[0]
	ids := map[*cfn.Stack]string{}
	for _, s := range top {
		ids[s] = ID("top", stackPart(s))
		stackBlock("  ", s, ids[s])
	}
	stageID := ID("stage", first.Name)
	w(`  subgraph %s["environment %s (%s)"]`, stageID, mermaidText(first.Name), mermaidText(first.Env))
	for _, s := range first.Stacks {
		ids[s] = ID(first.Name, stackPart(s))
		stackBlock("    ", s, ids[s])
	}
	w("  end")
	shape := func(st *assemblyStage) []string {
		var out []string
		for _, s := range st.Stacks {
			for _, n := range mainNodes(s) {
				out = append(out, stackPart(s)+": "+mainTypes[n.Type]+" "+n.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	want := shape(first)
	for _, st := range stages[1:] {
		got := shape(st)
		var diff []string
		for _, g := range got {
			if !slices.Contains(want, g) {
				diff = append(diff, "+ "+g)
			}
		}
		for _, x := range want {
			if !slices.Contains(got, x) {
				diff = append(diff, "- "+x)
			}
		}
		text := "same stacks and main resources as " + mermaidText(first.Name)
		if len(diff) > 0 {
			for i := range diff {
				diff[i] = mermaidText(diff[i])
			}
			text = "as " + mermaidText(first.Name) + ", except:<br/>" + strings.Join(diff, "<br/>")
		}
		w(`  %s["environment %s (%s)<br/>%s"]`, ID("stage", st.Name), mermaidText(st.Name), mermaidText(st.Env), text)
	}
	for _, s := range top {
		for _, st := range stages {
			w(`  %s -->|"deploys"| %s`, ids[s], ID("stage", st.Name))
		}
	}
	edges(first.Stacks, func(s *cfn.Stack) string { return ids[s] })
	return b.String(), nil
}

// Block is what goes between the markers of Doc.
func Block(mermaid string) string {
	return diagramStart + "\n" +
		"Generated from the cloud assembly by `make diagram` (main resources only; an arrow is a\n" +
		"cross-stack reference, labelled with what is referenced). Do not edit by hand.\n\n" +
		"```mermaid\n" + mermaid + "```\n" + diagramEnd
}

var diagramSection = regexp.MustCompile(`(?s)` + regexp.QuoteMeta(diagramStart) + `.*?` + regexp.QuoteMeta(diagramEnd))

// Replace puts the block between the markers of a page.
func Replace(readme, mermaid string) (string, error) {
	if n := len(diagramSection.FindAllStringIndex(readme, -1)); n != 1 {
		return "", fmt.Errorf("%d %s ... %s sections: want exactly one", n, diagramStart, diagramEnd)
	}
	block := Block(mermaid)
	return diagramSection.ReplaceAllLiteralString(readme, block), nil
}
