// Package cfn is the project's one model of CloudFormation: it reads a synthesized cloud
// assembly (the stacks of every stage, nested stacks with their parameters, construct
// paths, assets, annotations) into typed templates and resolves their intrinsic functions
// as CloudFormation would. Every program and test that reads templates reads them here.
package cfn

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Assembly is every stack of a cloud assembly and its file assets.
type Assembly struct {
	// Dir is the assembly's directory.
	Dir string
	// Stacks are the stacks, parents before their nested stacks, in manifest order
	// (artifact ids sorted) per assembly.
	Stacks []*Stack
	// Stages are the display names of the stages (nested assemblies), sorted.
	Stages []string
	// Assets are the file assets' sources by asset hash.
	Assets map[string]Asset
	// Annotations are the info, warning and error annotations that constructs left in
	// the stacks' metadata (cdk-nag findings, CDK warnings).
	Annotations []Annotation

	only string // ReadStage: the one stage to read, and no top-level stack
}

// Asset is where a file asset's source is in the assembly.
type Asset struct {
	// Path is absolute: a folder zipped at publishing, or a file.
	Path string
	// Packaging is "zip" (a folder) or "file".
	Packaging string
}

// Stack is one CloudFormation stack.
type Stack struct {
	// ID is the artifact id ("devBackend534B5E97"); a nested stack's is its parent's id
	// and its logical id.
	ID string
	// Name is the CloudFormation stack name.
	Name string
	// Display is the construct path CDK shows ("dev/Backend"); a nested stack's is its
	// parent's plus the nested stack's construct id ("dev/Backend/Routes3").
	Display string
	// Stage is the display name of the stage the stack belongs to; "" at the top level.
	Stage string
	// Account and Region are the stack's environment; empty for an environment-agnostic
	// stack.
	Account, Region string
	// Dir is the directory of the assembly that holds the template.
	Dir string
	// TemplateFile is the template's path.
	TemplateFile string
	// Raw is the template as written (its size is what CloudFormation limits); Template
	// the same, decoded.
	Raw      []byte
	Template *Template
	// Paths maps logical ids to construct paths (without the leading "/"), from the
	// assembly's metadata.
	Paths map[string]string
	// Dependencies are the artifact ids of the stacks this one depends on.
	Dependencies []string
	// LookupRole is the ARN of the bootstrap role that may read the deployed stack.
	LookupRole string
	// TerminationProtection is the stack's termination protection.
	TerminationProtection bool
	// Parent and ParentID locate a nested stack's AWS::CloudFormation::Stack resource.
	Parent   *Stack
	ParentID string
}

type manifest struct {
	Artifacts map[string]struct {
		Type         string   `json:"type"`
		Environment  string   `json:"environment"`
		DisplayName  string   `json:"displayName"`
		Dependencies []string `json:"dependencies"`
		Properties   struct {
			TemplateFile          string `json:"templateFile"`
			StackName             string `json:"stackName"`
			TerminationProtection bool   `json:"terminationProtection"`
			DirectoryName         string `json:"directoryName"`
			DisplayName           string `json:"displayName"`
			File                  string `json:"file"`
			LookupRole            struct {
				Arn string `json:"arn"`
			} `json:"lookupRole"`
		} `json:"properties"`
		Metadata               map[string][]metadataEntry `json:"metadata"`
		AdditionalMetadataFile string                     `json:"additionalMetadataFile"`
	} `json:"artifacts"`
}

type metadataEntry struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

// Read reads the cloud assembly in dir.
func Read(dir string) (*Assembly, error) {
	a := &Assembly{Dir: dir, Assets: map[string]Asset{}}
	if err := a.read(dir, ""); err != nil {
		return nil, err
	}
	slices.Sort(a.Stages)
	return a, nil
}

// ErrNoStage marks a cloud assembly without the stage asked for.
var ErrNoStage = errors.New("no such stage")

// ReadStage reads one stage of the cloud assembly in dir (its nested assembly only, and
// the top level's asset manifests): what a step that works on one environment needs.
func ReadStage(dir, stage string) (*Assembly, error) {
	a := &Assembly{Dir: dir, Assets: map[string]Asset{}, only: stage}
	if err := a.read(dir, ""); err != nil {
		return nil, err
	}
	slices.Sort(a.Stages)
	if !slices.Contains(a.Stages, stage) {
		return nil, fmt.Errorf("stage %q is not in the cloud assembly %s: allowed are %s: %w", stage, dir, strings.Join(a.Stages, ", "), ErrNoStage)
	}
	return a, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (a *Assembly) read(dir, stage string) error {
	var m manifest
	if err := readJSON(filepath.Join(dir, "manifest.json"), &m); err != nil {
		return fmt.Errorf("cloud assembly %s: %w (run cdk synth first)", dir, err)
	}
	ids := slices.Sorted(maps.Keys(m.Artifacts))
	// Asset manifests first: nested stack templates are assets of their parent.
	for _, id := range ids {
		if art := m.Artifacts[id]; art.Type == "cdk:asset-manifest" {
			if err := a.readAssets(dir, art.Properties.File); err != nil {
				return err
			}
		}
	}
	for _, id := range ids {
		art := m.Artifacts[id]
		switch art.Type {
		case "cdk:cloud-assembly":
			name := cmp.Or(art.Properties.DisplayName, art.DisplayName, id)
			a.Stages = append(a.Stages, name)
			if a.only != "" && name != a.only {
				continue
			}
			if err := a.read(filepath.Join(dir, art.Properties.DirectoryName), name); err != nil {
				return err
			}
		case "aws:cloudformation:stack":
			if a.only != "" && stage == "" {
				continue
			}
			st := &Stack{ID: id, Name: cmp.Or(art.Properties.StackName, id), Display: cmp.Or(art.DisplayName, id),
				Stage: stage, Dir: dir, Paths: map[string]string{}, LookupRole: art.Properties.LookupRole.Arn,
				TerminationProtection: art.Properties.TerminationProtection}
			if env, ok := strings.CutPrefix(art.Environment, "aws://"); ok {
				account, region, _ := strings.Cut(env, "/")
				if !strings.Contains(account, "unknown") && !strings.Contains(region, "unknown") {
					st.Account, st.Region = account, region
				}
			}
			for _, d := range art.Dependencies {
				if m.Artifacts[d].Type == "aws:cloudformation:stack" {
					st.Dependencies = append(st.Dependencies, d)
				}
			}
			meta := art.Metadata
			if art.AdditionalMetadataFile != "" {
				if err := readJSON(filepath.Join(dir, art.AdditionalMetadataFile), &meta); err != nil {
					return err
				}
			}
			a.annotate(meta)
			if err := a.readStack(st, art.Properties.TemplateFile, meta, "/"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Assembly) readAssets(dir, file string) error {
	var m struct {
		Files map[string]struct {
			Source struct {
				Path      string `json:"path"`
				Packaging string `json:"packaging"`
			} `json:"source"`
		} `json:"files"`
	}
	if err := readJSON(filepath.Join(dir, file), &m); err != nil {
		return err
	}
	for hash, f := range m.Files {
		path := f.Source.Path
		if !filepath.IsAbs(path) { // absolute when bundling was skipped: the source folder itself
			path = filepath.Join(dir, path)
		}
		a.Assets[hash] = Asset{Path: path, Packaging: f.Source.Packaging}
	}
	return nil
}

// readStack reads a template, the construct paths the metadata gives its logical ids
// (under prefix, and not inside one of its nested stacks), and, recursively, its nested
// stacks.
func (a *Assembly) readStack(st *Stack, file string, meta map[string][]metadataEntry, prefix string) error {
	st.TemplateFile = filepath.Join(st.Dir, file)
	raw, err := os.ReadFile(st.TemplateFile)
	if err != nil {
		return fmt.Errorf("stack %s: %w", st.ID, err)
	}
	if st.Template, err = ParseTemplate(raw); err != nil {
		return fmt.Errorf("stack %s: %s: %w", st.ID, st.TemplateFile, err)
	}
	st.Raw = raw
	// Metadata names a nested stack's resource <path>/<id>.NestedStack/<id>.NestedStackResource
	// and the nested stack's own resources under <path>/<id>/.
	var nestedPrefixes []string
	for path := range meta {
		if i := strings.Index(path, ".NestedStack/"); i > 0 && strings.HasPrefix(path, prefix) {
			nestedPrefixes = append(nestedPrefixes, path[:i]+"/")
		}
	}
	for path, entries := range meta {
		if !strings.HasPrefix(path, prefix) || slices.ContainsFunc(nestedPrefixes, func(n string) bool {
			return strings.HasPrefix(path, n) && n != prefix
		}) {
			continue
		}
		for _, e := range entries {
			if id, ok := e.Data.(string); ok && e.Type == "aws:cdk:logicalId" {
				st.Paths[id] = strings.TrimPrefix(path, "/")
			}
		}
	}
	a.Stacks = append(a.Stacks, st)
	for _, id := range slices.Sorted(maps.Keys(st.Template.Resources)) {
		r := st.Template.Resources[id]
		if r.Type != "AWS::CloudFormation::Stack" {
			continue
		}
		nested := a.nestedTemplate(r)
		if nested == "" {
			continue // a stack CloudFormation fetches from elsewhere: not in this assembly
		}
		name := id
		if m := nestedName.FindStringSubmatch(id); m != nil {
			name = m[1]
		}
		child := &Stack{ID: st.ID + "/" + id, Name: st.Name + "-" + id, Display: st.Display + "/" + name,
			Stage: st.Stage, Account: st.Account, Region: st.Region, Dir: st.Dir, Paths: map[string]string{},
			Parent: st, ParentID: id}
		childPrefix := "/nested-stack-without-path-metadata/"
		if path, ok := st.Paths[id]; ok {
			if i := strings.Index(path, ".NestedStack/"); i > 0 {
				childPrefix = "/" + path[:i] + "/"
			}
		}
		if err := a.readStack(child, nested, meta, childPrefix); err != nil {
			return err
		}
	}
	return nil
}

var (
	nestedName = regexp.MustCompile(`^(.+?)NestedStack`)
	assetKey   = regexp.MustCompile(`([0-9a-f]{64})\.json`)
)

// nestedTemplate is the file of a nested stack's template: named by the asset metadata
// when CDK writes it, else found through the asset hash in its TemplateURL.
func (a *Assembly) nestedTemplate(r Resource) string {
	if p, ok := r.Metadata["aws:asset:path"].(string); ok && strings.HasSuffix(p, ".nested.template.json") {
		return p
	}
	b, _ := json.Marshal(r.Properties["TemplateURL"])
	if m := assetKey.FindSubmatch(b); m != nil {
		if src, ok := a.Assets[string(m[1])]; ok && strings.HasSuffix(src.Path, ".nested.template.json") {
			return filepath.Base(src.Path)
		}
	}
	return ""
}

// StackAt returns the stack at a construct path such as "dev/Backend" (its Display), or
// nil.
func (a *Assembly) StackAt(display string) *Stack {
	for _, s := range a.Stacks {
		if s.Display == display {
			return s
		}
	}
	return nil
}

// StageStacks are the stacks of one stage, nested stacks included.
func (a *Assembly) StageStacks(stage string) []*Stack {
	var out []*Stack
	for _, s := range a.Stacks {
		if s.Stage == stage {
			out = append(out, s)
		}
	}
	return out
}

// Annotation is an annotation that a construct left in the cloud assembly: a cdk-nag
// finding, a CDK warning or error, or information.
type Annotation struct {
	// Level is "error", "warning" or "info".
	Level string
	// Path is the construct path, e.g. /dev/Backend/Api/Resource.
	Path string
	Text string
}

// String is how the synth gate prints an annotation: level, construct path and text.
func (a Annotation) String() string { return fmt.Sprintf("%s %s: %s", a.Level, a.Path, a.Text) }

// annotate collects the annotations of a stack's metadata.
func (a *Assembly) annotate(meta map[string][]metadataEntry) {
	for path, entries := range meta {
		for _, e := range entries {
			if level, ok := strings.CutPrefix(e.Type, "aws:cdk:"); ok && (level == "error" || level == "warning" || level == "info") {
				a.Annotations = append(a.Annotations, Annotation{Level: level, Path: path, Text: fmt.Sprint(e.Data)})
			}
		}
	}
}

// Findings are the error and warning annotations, sorted, each once (a stage manifest can
// repeat one on two stacks). Synth fails on any: the CDK CLI alone does not stop on
// warnings, nor on errors inside stages.
func (a *Assembly) Findings() []Annotation {
	var out []Annotation
	for _, n := range a.Annotations {
		if n.Level == "error" || n.Level == "warning" {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(x, y Annotation) int { return strings.Compare(x.String(), y.String()) })
	return slices.Compact(out)
}
