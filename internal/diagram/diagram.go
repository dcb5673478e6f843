// Package diagram draws the architecture diagram from a cloud assembly, so the picture in
// the docs is generated from what the app deploys rather than drawn by hand: the pipeline,
// every environment, the first environment's stacks with their main resources, and the
// cross-stack references between them (Mermaid). `make diagram` (cmd/diagram) writes it
// between the markers of Doc.
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

// asmStack is one stack of the cloud assembly.
type asmStack struct {
	ID          string // artifact id
	Name        string // CloudFormation stack name
	DisplayName string // construct path, e.g. dev/Backend
	Env         string // "account, region"
	Stage       string // "" for a top-level stack
	Deps        []string
	Template    map[string]any
	Paths       map[string]string // logical id -> construct path without the stack's
	src         *cfn.Stack
}

type assemblyStage struct {
	Name, Env string
	Stacks    []*asmStack
}

// readAssembly reads every stack of a cloud assembly: the top-level stacks and those of
// each stage (nested assembly), in deployment order. Nested stacks are parts of their
// parent here.
func readAssembly(dir string) (top []*asmStack, stages []*assemblyStage, err error) {
	asm, err := cfn.Read(dir)
	if err != nil {
		return nil, nil, err
	}
	byStage := map[string][]*asmStack{}
	for _, s := range asm.Stacks {
		if s.Parent != nil {
			continue
		}
		st := &asmStack{ID: s.ID, Name: s.Name, DisplayName: s.Display, Env: s.Account + ", " + s.Region,
			Stage: s.Stage, Deps: s.Dependencies, Template: s.Template, Paths: map[string]string{}, src: s}
		prefix := s.Display + "/"
		for id, path := range s.Paths {
			if rest, ok := strings.CutPrefix(path, prefix); ok {
				st.Paths[id] = rest
			}
		}
		byStage[s.Stage] = append(byStage[s.Stage], st)
	}
	for _, name := range asm.Stages {
		st := &assemblyStage{Name: name, Stacks: deploymentOrder(byStage[name])}
		if len(st.Stacks) > 0 {
			st.Env = st.Stacks[0].Env
		}
		stages = append(stages, st)
	}
	return deploymentOrder(byStage[""]), stages, nil
}

// deploymentOrder sorts stacks so that each comes after the stacks it depends on (ties by
// artifact id).
func deploymentOrder(in []*asmStack) []*asmStack {
	var out []*asmStack
	done := map[string]bool{}
	for len(out) < len(in) {
		progressed := false
		for _, s := range in {
			if done[s.ID] {
				continue
			}
			ready := true
			for _, d := range s.Deps {
				if !done[d] && slices.ContainsFunc(in, func(o *asmStack) bool { return o.ID == d }) {
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

func (s *asmStack) resources() map[string]map[string]any { return s.src.Resources() }

// shortName is the construct path inside the stack without the L1/L2 "Resource" segments:
// "Notes/Resource/Resource" is "Notes", "Site/Bucket/Resource" is "Site/Bucket".
func (s *asmStack) shortName(logicalID string) string {
	p, ok := s.Paths[logicalID]
	if !ok {
		return logicalID
	}
	segs := strings.Split(p, "/")
	for len(segs) > 1 && segs[len(segs)-1] == "Resource" {
		segs = segs[:len(segs)-1]
	}
	return strings.Join(segs, "/")
}

func (s *asmStack) mainNodes() []node {
	var out []node
	for id, r := range s.resources() {
		typ, _ := r["Type"].(string)
		if _, ok := mainTypes[typ]; !ok || internal(s.Paths[id]) {
			continue
		}
		out = append(out, node{ID: id, Type: typ, Name: s.shortName(id)})
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
func (s *asmStack) references(byName map[string]*asmStack) map[string][]string {
	out := map[string][]string{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Fn::GetStackOutput"].(map[string]any); ok {
				producer := byName[fmt.Sprint(ref["StackName"])]
				if producer != nil {
					// The top-level construct: "Alarms/Api5xx" and "Alarms/ApiLatency" are "Alarms".
					name, _, _ := strings.Cut(producer.outputSource(fmt.Sprint(ref["OutputName"])), "/")
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
	walk(s.Template["Resources"])
	walk(s.Template["Outputs"])
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

// outputSource names the resource an output of this stack refers to.
func (s *asmStack) outputSource(output string) string {
	outs, _ := s.Template["Outputs"].(map[string]any)
	o, _ := outs[output].(map[string]any)
	var find func(v any) string
	find = func(v any) string {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["Ref"].(string); ok && !strings.HasPrefix(ref, "AWS::") {
				return s.shortName(ref)
			}
			if att, ok := x["Fn::GetAtt"].([]any); ok && len(att) == 2 {
				return s.shortName(fmt.Sprint(att[0]))
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
	if n := find(o["Value"]); n != "" {
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

func stackPart(s *asmStack) string {
	if s.Stage == "" {
		return s.DisplayName
	}
	return strings.TrimPrefix(s.DisplayName, s.Stage+"/")
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
	byName := map[string]*asmStack{}
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
	stackBlock := func(indent string, s *asmStack, id string) {
		title := mermaidText(stackPart(s))
		if stackPart(s) != s.Name {
			title += "<br/>" + mermaidText(s.Name)
		}
		w(`%ssubgraph %s["%s"]`, indent, id, title)
		for _, n := range s.mainNodes() {
			w(`%s  %s["%s<br/>%s"]`, indent, ID(id, n.Name), mermaidText(mainTypes[n.Type]), mermaidText(n.Name))
		}
		w("%send", indent)
	}
	edges := func(stacks []*asmStack, idOf func(*asmStack) string) {
		for _, s := range stacks {
			refs := s.references(byName)
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
	ids := map[*asmStack]string{}
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
			for _, n := range s.mainNodes() {
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
	edges(first.Stacks, func(s *asmStack) string { return ids[s] })
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
