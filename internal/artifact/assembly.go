// Package artifact is the harness that runs a synthesized stage's Lambda bundles the way
// Lambda runs them (AWS's Runtime Interface Emulator, dynalite and stand-ins behind a
// recorder of every AWS call, IAM replay of the recorded calls), so that a wrong bundle,
// environment variable or permission fails the tests instead of the first deploy. It
// reads cdk.out through internal/cfn; its tests of the app are in test/artifact.
package artifact

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/build"
)

// Assembly is one stage's cloud assembly (cdk.out/assembly-<stage>), read by internal/cfn.
type Assembly struct {
	// Dir is the stage assembly's directory.
	Dir string
	// Stage is the stage name (dev, prod).
	Stage string
	// Stacks are the stage's top-level CloudFormation stacks, in manifest order: the
	// functions live there, not in route shards.
	Stacks []*cfn.Stack
	// Resolver gives every resource of the stage a local physical id shaped like the one
	// CloudFormation would give it. The functions' environment is resolved with it and so
	// are their IAM policies (RoleOf), so the ARNs the functions call are the ARNs their
	// policies name.
	Resolver *cfn.Resolver
}

// Function is a Lambda function of the stage that runs our Go code (a custom runtime with
// a bootstrap), as the template describes it.
type Function struct {
	// Name is the function's name in lambdas/api.Functions.
	Name string
	// API is that entry.
	API api.Function
	// Stack and LogicalID locate the AWS::Lambda::Function.
	Stack     *cfn.Stack
	LogicalID string
	// AssetDir is the absolute path of the bundled code (what Lambda unzips to /var/task).
	AssetDir string
	// AssetHash is the hash in the asset directory's name (asset.<hash>).
	AssetHash string
	// Handler, Runtime and Architecture are the template's (Architecture defaults to x86_64,
	// as in Lambda).
	Handler, Runtime, Architecture string
	// MemoryMB and TimeoutSeconds are the template's (Lambda's defaults 128 and 3 when unset).
	MemoryMB, TimeoutSeconds int
	// Environment is the template's Environment.Variables, unresolved.
	Environment map[string]any
	// Properties are all the function's template properties.
	Properties map[string]any
	// Operational is set for a function that serves no route (see operational); API then
	// holds only its Name and Package.
	Operational bool
}

// Other is a function of the stage that is not ours: a handler CDK adds for a custom
// resource or a bucket deployment, in a managed runtime (Node.js, Python).
type Other struct {
	Stack, LogicalID, Path, Runtime string
}

// ErrRunSynth marks errors that a fresh `make synth` fixes: no cdk.out, no such stage,
// or bundles built from other sources than the ones checked out.
var ErrRunSynth = errors.New("run make synth")

// LoadStage reads the stage's nested assembly from cdkOut (the directory `cdk synth`
// writes), its top-level stacks only (functions live there, not in route shards). A missing
// directory or stage is an ErrRunSynth error.
func LoadStage(cdkOut, stage string) (*Assembly, error) {
	if _, err := os.Stat(filepath.Join(cdkOut, "manifest.json")); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no cloud assembly at %s: %w first (it writes cdk.out, which these tests run)", cdkOut, ErrRunSynth)
	}
	read, err := cfn.ReadStage(cdkOut, stage)
	if errors.Is(err, cfn.ErrNoStage) {
		return nil, fmt.Errorf("%w: %w", err, ErrRunSynth)
	}
	if err != nil {
		return nil, err
	}
	asm := &Assembly{Stage: stage, Resolver: cfn.NewResolver(read.StageStacks(stage), nil)}
	for _, st := range read.StageStacks(stage) {
		if st.Parent == nil {
			asm.Dir = st.Dir
			asm.Stacks = append(asm.Stacks, st)
		}
	}
	return asm, nil
}

// pathOf returns the construct path of a logical id (/dev/Backend/Health/Resource/Resource),
// "" when the assembly does not say.
func pathOf(s *cfn.Stack, logicalID string) string {
	if p, ok := s.Paths[logicalID]; ok {
		return "/" + p
	}
	return ""
}

// Functions returns the stage's functions that run a custom runtime, matched to
// lambdas/api.Functions by construct id, and the other (CDK-owned) functions. Every entry
// of api.Functions must be in the stage, and every custom-runtime function must be in
// api.Functions.
func (a *Assembly) Functions() ([]*Function, []Other, error) {
	var fns []*Function
	var others []Other
	var errs []error
	seen := map[string]bool{}
	for _, s := range a.Stacks {
		for _, id := range sortedIDs(s) {
			r := s.Template.Resources[id]
			if r.Type != "AWS::Lambda::Function" {
				continue
			}
			runtime, _ := r.Properties["Runtime"].(string)
			path := pathOf(s, id)
			if !strings.HasPrefix(runtime, "provided") {
				others = append(others, Other{Stack: s.Name, LogicalID: id, Path: path, Runtime: runtime})
				continue
			}
			name := constructName(path)
			if operational[name] != "" { // OperationalFunctions returns it
				continue
			}
			apiFn, ok := api.Shipped().Function(name)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: function %s (construct %s) runs a custom runtime but is not in lambdas/api.Functions, so nothing knows which routes it serves", s.Name, id, cmp.Or(path, "unknown")))
				continue
			}
			seen[name] = true
			f, err := newFunction(a, s, id, r, apiFn)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			fns = append(fns, f)
		}
	}
	for _, f := range api.Functions {
		if !seen[f.Name] {
			errs = append(errs, fmt.Errorf("lambdas/api.Functions lists %s, but stage %s has no such function: %w", f.Name, a.Stage, ErrRunSynth))
		}
	}
	return fns, others, errors.Join(errs...)
}

// operational are the stage's Go functions that serve no route, by construct id, with
// their package: CodeDeploy's pre-traffic check. They run (Harness.Operational) but are
// not driven through the API.
var operational = map[string]string{"PreTrafficCheck": "lambdas/pretraffic"}

// OperationalFunctions returns the stage's Go functions that serve no route (see
// operational); stages without them (no pre-traffic hook configured) have none.
func (a *Assembly) OperationalFunctions() ([]*Function, error) {
	var out []*Function
	var errs []error
	for _, s := range a.Stacks {
		for _, id := range sortedIDs(s) {
			r := s.Template.Resources[id]
			if r.Type != "AWS::Lambda::Function" {
				continue
			}
			name := constructName(pathOf(s, id))
			pkg := operational[name]
			if pkg == "" {
				continue
			}
			f, err := newFunction(a, s, id, r, api.Function{Name: name, Package: pkg})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			f.Operational = true
			out = append(out, f)
		}
	}
	return out, errors.Join(errs...)
}

// constructName is the id of the construct that made a function: the last path segment
// that is not CDK's "Resource" (/dev/Backend/Health/Resource/Resource -> Health).
func constructName(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] != "Resource" {
			return parts[i]
		}
	}
	return ""
}

func newFunction(a *Assembly, s *cfn.Stack, id string, r cfn.Resource, apiFn api.Function) (*Function, error) {
	f := &Function{Name: apiFn.Name, API: apiFn, Stack: s, LogicalID: id, Properties: r.Properties,
		Architecture: "x86_64", MemoryMB: 128, TimeoutSeconds: 3}
	f.Handler, _ = r.Properties["Handler"].(string)
	f.Runtime, _ = r.Properties["Runtime"].(string)
	if archs, ok := r.Properties["Architectures"].([]any); ok && len(archs) == 1 {
		f.Architecture, _ = archs[0].(string)
	}
	if n, ok := r.Properties["MemorySize"].(float64); ok {
		f.MemoryMB = int(n)
	}
	if n, ok := r.Properties["Timeout"].(float64); ok {
		f.TimeoutSeconds = int(n)
	}
	if env, ok := r.Properties["Environment"].(map[string]any); ok {
		f.Environment, _ = env["Variables"].(map[string]any)
	}
	assetPath, _ := r.Metadata["aws:asset:path"].(string)
	if assetPath == "" {
		return nil, fmt.Errorf("%s: function %s has no aws:asset:path metadata: its code is not a local asset of this cloud assembly (inline or S3 code cannot be tested here)", s.Name, f.Name)
	}
	f.AssetDir = filepath.Join(a.Dir, assetPath)
	if abs, err := filepath.Abs(f.AssetDir); err == nil {
		f.AssetDir = abs
	}
	f.AssetHash = strings.TrimPrefix(filepath.Base(f.AssetDir), "asset.")
	return f, nil
}

// Environment resolves a function's environment variables with the stage's Resolver.
func (a *Assembly) Environment(f *Function) (map[string]string, error) {
	out := make(map[string]string, len(f.Environment))
	for _, k := range slices.Sorted(maps.Keys(f.Environment)) {
		v, err := a.Resolver.String(f.Stack, f.Environment[k])
		if err != nil {
			return nil, fmt.Errorf("%s: environment variable %s: %w", f.Name, k, err)
		}
		out[k] = v
	}
	return out, nil
}

// sortedIDs are the logical ids of a stack's resources, sorted.
func sortedIDs(s *cfn.Stack) []string { return slices.Sorted(maps.Keys(s.Template.Resources)) }

// CheckFresh fails with ErrRunSynth when a function's bundle was built from other sources
// than the ones in moduleRoot. gofunction stamps the function with the first 12 hex digits
// of build.SourceHash in BUILD_VERSION (the asset directory's own hash is CDK's
// hash of that value and the bundling options, so it cannot be compared directly).
//
// An operational function carries no such stamp; its bundle is compared with a fresh
// build of its package by lambdas/build's command, which is reproducible byte for byte.
func CheckFresh(moduleRoot string, fns []*Function) error {
	var errs []error
	var pkgs []string
	for _, f := range fns {
		if !f.Operational {
			pkgs = append(pkgs, f.API.Package)
		}
	}
	hashes, err := sourceHashes(moduleRoot, pkgs)
	if err != nil {
		return err
	}
	for _, f := range fns {
		if f.Operational {
			errs = append(errs, checkRebuilt(moduleRoot, f))
			continue
		}
		want := hashes[f.API.Package]
		stamped, _ := f.Environment[api.EnvBuildVersion].(string)
		switch {
		case stamped == "":
			errs = append(errs, fmt.Errorf("%s: the template sets no %s, so nothing tells which sources its bundle was built from (gofunction stamps it when VersionVariable is set)", f.Name, api.EnvBuildVersion))
		case !strings.HasPrefix(want, stamped):
			errs = append(errs, fmt.Errorf("%s: cdk.out is stale: its bundle was built from other sources than %s holds now (%s %s, source hash now %s): %w", f.Name, f.API.Package, api.EnvBuildVersion, stamped, want[:12], ErrRunSynth))
		}
	}
	return errors.Join(errs...)
}

// hashed caches source hashes by module root and package for the life of the test binary
// (the sources do not change under it), so that tests that load many copies of a stage,
// side by side, list the packages once.
var (
	hashMu sync.Mutex
	hashed = map[string]string{}
)

// sourceHashes returns build.SourceHash of each package, listing the ones not hashed yet
// with one `go list`.
func sourceHashes(moduleRoot string, pkgs []string) (map[string]string, error) {
	hashMu.Lock()
	defer hashMu.Unlock()
	out := map[string]string{}
	var missing []string
	for _, p := range pkgs {
		if h, ok := hashed[moduleRoot+"\x00"+p]; ok {
			out[p] = h
		} else if !slices.Contains(missing, p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	fresh, err := build.SourceHashes(moduleRoot, missing...)
	if err != nil {
		return nil, err
	}
	for p, h := range fresh {
		hashed[moduleRoot+"\x00"+p] = h
		out[p] = h
	}
	return out, nil
}

// rebuilt caches fresh builds by module root, package and architecture for the life of
// the test binary (the sources do not change under it): one build however many tests
// ask for it at once.
var rebuilt sync.Map // key -> *freshBuild

type freshBuild struct {
	once sync.Once
	b    []byte
	err  error
}

// checkRebuilt builds f's package as the bundling does and compares the result with the
// bundle's bootstrap.
func checkRebuilt(moduleRoot string, f *Function) error {
	key := moduleRoot + "\x00" + f.API.Package + "\x00" + f.Architecture
	v, _ := rebuilt.LoadOrStore(key, &freshBuild{})
	fresh := v.(*freshBuild)
	fresh.once.Do(func() {
		dir, err := os.MkdirTemp("", "artifact-fresh-")
		if err != nil {
			fresh.err = err
			return
		}
		defer os.RemoveAll(dir)
		cmd := build.Command(moduleRoot, f.API.Package, dir)
		cmd.Env = append(cmd.Env, "GOARCH="+GoArch(f.Architecture))
		if out, err := cmd.CombinedOutput(); err != nil {
			fresh.err = fmt.Errorf("%s: build %s to compare with its bundle: %v\n%s", f.Name, f.API.Package, err, out)
			return
		}
		fresh.b, fresh.err = os.ReadFile(filepath.Join(dir, "bootstrap"))
	})
	if fresh.err != nil {
		return fresh.err
	}
	bundled, err := os.ReadFile(filepath.Join(f.AssetDir, "bootstrap"))
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if !bytes.Equal(fresh.b, bundled) {
		return fmt.Errorf("%s: cdk.out is stale: its bundle differs from a build of %s as it is now: %w", f.Name, f.API.Package, ErrRunSynth)
	}
	return nil
}
