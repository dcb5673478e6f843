package quotas

import (
	"archive/zip"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/cfn"
)

// assembly is what the check reads of a cloud assembly: its stacks (nested stacks
// included) and the sources of its file assets.
type assembly struct {
	stacks []*stack
	byName map[string]*stack // by CloudFormation stack name
	assets map[string]asset  // by asset hash
	sizes  map[string]sizes  // code sizes by asset path: stages share assets, zip each once
}

type sizes struct{ zipped, unzipped int64 }

type asset struct {
	path      string // absolute
	packaging string // "zip" (a directory zipped at publishing) or "file"
}

type stack struct {
	name      string // display name, e.g. dev/Backend
	stackName string // CloudFormation stack name
	account   string
	region    string
	bytes     int
	tpl       template
	// parent and parentID locate the AWS::CloudFormation::Stack resource of a nested stack.
	parent   *stack
	parentID string
}

type template struct {
	Resources  map[string]resource `json:"Resources"`
	Outputs    map[string]any      `json:"Outputs"`
	Parameters map[string]any      `json:"Parameters"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	Metadata   map[string]any `json:"Metadata"`
}

func readAssembly(dir string) (*assembly, error) {
	asm, err := cfn.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("quotas: %w", err)
	}
	a := &assembly{byName: map[string]*stack{}, assets: map[string]asset{}, sizes: map[string]sizes{}}
	for hash, f := range asm.Assets {
		a.assets[hash] = asset{path: f.Path, packaging: f.Packaging}
	}
	byID := map[*cfn.Stack]*stack{}
	for _, s := range asm.Stacks {
		st := &stack{name: s.Display, stackName: s.Name, account: s.Account, region: s.Region, bytes: len(s.Raw),
			parent: byID[s.Parent], parentID: s.ParentID}
		if err := json.Unmarshal(s.Raw, &st.tpl); err != nil {
			return nil, fmt.Errorf("quotas: %s: %w", s.TemplateFile, err)
		}
		byID[s] = st
		a.stacks = append(a.stacks, st)
		a.byName[st.stackName] = st
	}
	return a, nil
}

// measure returns the stack's template measures and those of its functions and
// CloudFront Functions. Function policies and API resources, which can span stacks, are
// added by the assembly-wide passes.
func (st *stack) measure(a *assembly) []Measure {
	m := func(l Limit, subject string, v int) Measure {
		return Measure{Limit: l, Stack: st.name, Subject: subject, Value: float64(v)}
	}
	out := []Measure{
		m(Resources, "", len(st.tpl.Resources)),
		m(TemplateBytes, "", st.bytes),
		m(Outputs, "", len(st.tpl.Outputs)),
		m(Parameters, "", len(st.tpl.Parameters)),
	}
	for _, id := range slices.Sorted(maps.Keys(st.tpl.Resources)) {
		r := st.tpl.Resources[id]
		switch r.Type {
		case "AWS::Lambda::Function":
			subject := "function " + id
			env := map[string]string{}
			if e, ok := r.Properties["Environment"].(map[string]any); ok {
				vars, _ := e["Variables"].(map[string]any)
				for k, v := range vars {
					env[k] = a.render(st, v)
				}
			}
			if len(env) > 0 {
				b, _ := json.Marshal(env)
				out = append(out, m(FunctionEnvBytes, subject, len(b)))
			}
			zipped, unzipped, ok, err := a.code(st, r.Properties["Code"])
			if err != nil {
				out = append(out, Measure{Limit: CodeZipBytes, Stack: st.name, Subject: subject + ": " + err.Error(), Value: CodeZipBytes.Max})
				continue
			}
			if ok {
				for _, layer := range list(r.Properties["Layers"]) {
					if ls, lid, found := a.origin(st, layer); found && ls.tpl.Resources[lid].Type == "AWS::Lambda::LayerVersion" {
						if _, u, ok, err := a.code(ls, ls.tpl.Resources[lid].Properties["Content"]); err == nil && ok {
							unzipped += u
						}
					}
				}
				out = append(out, m(CodeZipBytes, subject, int(zipped)), m(CodeUnzippedBytes, subject, int(unzipped)))
			}
		case "AWS::CloudFront::Function":
			out = append(out, m(CloudFrontFunctionBytes, "function "+id, len(a.render(st, r.Properties["FunctionCode"]))))
		}
	}
	if st.parent == nil {
		out = append(out, a.crossStack(st)...)
	}
	return out
}

// crossStack measures what nested stacks can add to a root stack's resources: the
// policies of its functions (their permissions may sit in nested stacks) and the API
// Gateway resources of its REST APIs. It runs once per root stack, over the root and its
// nested stacks.
func (a *assembly) crossStack(root *stack) []Measure {
	type key struct {
		st *stack
		id string
	}
	family := func(st *stack) bool {
		for ; st != nil; st = st.parent {
			if st == root {
				return true
			}
		}
		return false
	}
	statements := map[key][]string{}
	apiResources := map[key]int{}
	for _, st := range a.stacks {
		if !family(st) {
			continue
		}
		for id, r := range st.tpl.Resources {
			switch r.Type {
			case "AWS::ApiGateway::RestApi":
				apiResources[key{st, id}]++ // the root resource "/" counts too
			case "AWS::ApiGateway::Resource":
				if ost, oid, ok := a.origin(st, r.Properties["RestApiId"]); ok {
					apiResources[key{ost, oid}]++
				}
			case "AWS::Lambda::Permission":
				if ost, oid, ok := a.origin(st, r.Properties["FunctionName"]); ok {
					statements[key{ost, oid}] = append(statements[key{ost, oid}], a.statement(st, id, r, ost, oid))
				}
			}
		}
	}
	var out []Measure
	for k, n := range apiResources {
		out = append(out, Measure{Limit: APIResources, Stack: k.st.name, Subject: "api " + k.id, Value: float64(n)})
	}
	for k, stmts := range statements {
		slices.Sort(stmts)
		doc := `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`
		kind := "function "
		if k.st.tpl.Resources[k.id].Type == "AWS::Lambda::Alias" {
			kind = "alias "
		}
		out = append(out, Measure{Limit: FunctionPolicyBytes, Stack: k.st.name, Subject: kind + k.id, Value: float64(len(doc))})
	}
	return out
}

// statement renders the resource-based policy statement that Lambda adds for one
// AWS::Lambda::Permission, the way GetPolicy shows it. The statement id is the
// permission's physical id, which CloudFormation makes from the stack name, the logical
// id and a random suffix, up to 100 characters.
func (a *assembly) statement(st *stack, id string, r resource, fnStack *stack, fnID string) string {
	p := r.Properties
	sid := st.stackName + "-" + id + "-" + strings.Repeat("X", 12)
	if len(sid) > 100 {
		sid = sid[:100]
	}
	principal := a.render(st, p["Principal"])
	var who any = map[string]string{"AWS": principal}
	if strings.HasSuffix(principal, ".amazonaws.com") {
		who = map[string]string{"Service": principal}
	}
	resourceArn := a.render(fnStack, map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}})
	stmt := map[string]any{"Sid": sid, "Effect": "Allow", "Principal": who, "Action": a.render(st, p["Action"]), "Resource": resourceArn}
	cond := map[string]map[string]string{}
	if v, ok := p["SourceArn"]; ok {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": a.render(st, v)}
	}
	if v, ok := p["SourceAccount"]; ok {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": a.render(st, v)}
	}
	if len(cond) > 0 {
		stmt["Condition"] = cond
	}
	b, _ := json.Marshal(stmt)
	return string(b)
}

// origin follows a Ref or GetAtt to the resource it names, through the parameters of
// nested stacks, and reports the stack and logical id.
func (a *assembly) origin(st *stack, v any) (*stack, string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, "", false
	}
	var name string
	if ref, ok := m["Ref"].(string); ok {
		name = ref
	} else if ga := list(m["Fn::GetAtt"]); len(ga) == 2 {
		name, _ = ga[0].(string)
	} else {
		return nil, "", false
	}
	if _, ok := st.tpl.Resources[name]; ok {
		return st, name, true
	}
	if _, ok := st.tpl.Parameters[name]; ok && st.parent != nil {
		params, _ := st.parent.tpl.Resources[st.parentID].Properties["Parameters"].(map[string]any)
		if passed, ok := params[name]; ok {
			return a.origin(st.parent, passed)
		}
	}
	return nil, "", false
}

// placeholder is how long the check assumes a generated name or id is: CloudFormation
// names such as <stack>-<logical id>-<random> are cut to 64 characters by most services.
const placeholder = 64

// render turns a template value into the string AWS would see after CloudFormation
// resolved it, with names and ids it cannot know replaced by placeholders of their
// longest usual length, so sizes err on the large side.
func (a *assembly) render(st *stack, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	case []any:
		b, _ := json.Marshal(x)
		return string(b)
	case map[string]any:
		if len(x) != 1 {
			b, _ := json.Marshal(x)
			return string(b)
		}
		for fn, arg := range x {
			return a.intrinsic(st, fn, arg)
		}
	}
	return strings.Repeat("x", placeholder)
}

func (a *assembly) intrinsic(st *stack, fn string, arg any) string {
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		switch name {
		case "AWS::Region":
			return cmp.Or(st.region, "ap-southeast-4")
		case "AWS::AccountId":
			return cmp.Or(st.account, "123456789012")
		case "AWS::Partition":
			return "aws"
		case "AWS::URLSuffix":
			return "amazonaws.com"
		case "AWS::StackName":
			return st.stackName
		}
		if ost, id, ok := a.origin(st, map[string]any{"Ref": name}); ok {
			switch ost.tpl.Resources[id].Type {
			case "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Authorizer":
				return strings.Repeat("a", 10) // API Gateway ids are 10 characters
			case "AWS::Lambda::Alias", "AWS::Lambda::Version":
				return a.intrinsic(ost, "Fn::GetAtt", []any{id, "Arn"}) + ":live"
			}
			return strings.Repeat("x", placeholder)
		}
		if st.parent != nil {
			params, _ := st.parent.tpl.Resources[st.parentID].Properties["Parameters"].(map[string]any)
			if passed, ok := params[name]; ok {
				return a.render(st.parent, passed)
			}
		}
	case "Fn::GetAtt":
		parts := list(arg)
		if len(parts) == 2 && parts[1] == "Arn" {
			id, _ := parts[0].(string)
			service, name := "service", strings.Repeat("x", placeholder)
			if r, ok := st.tpl.Resources[id]; ok {
				if _, rest, found := strings.Cut(r.Type, "::"); found {
					service, _, _ = strings.Cut(strings.ToLower(rest), "::")
				}
				if r.Type == "AWS::Lambda::Function" {
					name = "function:" + name
				}
			}
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, cmp.Or(st.region, "ap-southeast-4"), cmp.Or(st.account, "123456789012"), name)
		}
	case "Fn::Join":
		parts := list(arg)
		if len(parts) == 2 {
			sep, _ := parts[0].(string)
			var out []string
			for _, p := range list(parts[1]) {
				out = append(out, a.render(st, p))
			}
			return strings.Join(out, sep)
		}
	case "Fn::Sub":
		s, _ := arg.(string)
		if parts := list(arg); len(parts) > 0 {
			s, _ = parts[0].(string)
		}
		return subVar.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			if res, attr, ok := strings.Cut(name, "."); ok {
				return a.intrinsic(st, "Fn::GetAtt", []any{res, attr})
			}
			return a.intrinsic(st, "Ref", name)
		})
	case "Fn::GetStackOutput":
		args, _ := arg.(map[string]any)
		name, _ := args["StackName"].(string)
		output, _ := args["OutputName"].(string)
		if src, ok := a.byName[name]; ok {
			if o, ok := src.tpl.Outputs[output].(map[string]any); ok {
				return a.render(src, o["Value"])
			}
		}
	case "Fn::Select":
		parts := list(arg)
		if len(parts) == 2 {
			i, _ := parts[0].(float64)
			if items := list(parts[1]); int(i) < len(items) {
				return a.render(st, items[int(i)])
			}
		}
	}
	return strings.Repeat("x", placeholder)
}

var subVar = regexp.MustCompile(`\$\{[^}!][^}]*\}`)

// code returns the zipped and unzipped size of a function's or layer's code asset; ok is
// false for inline code or code from a bucket that is not an asset of this assembly.
func (a *assembly) code(st *stack, v any) (zipped, unzipped int64, ok bool, err error) {
	c, _ := v.(map[string]any)
	key := a.render(st, c["S3Key"])
	hash := strings.TrimSuffix(key, ".zip")
	src, found := a.assets[hash]
	if !found {
		return 0, 0, false, nil
	}
	if sz, done := a.sizes[src.path]; done {
		return sz.zipped, sz.unzipped, true, nil
	}
	info, err := os.Stat(src.path)
	if err != nil {
		return 0, 0, false, fmt.Errorf("code asset missing from the assembly: %v", err)
	}
	if info.IsDir() {
		zipped, unzipped, ok, err = dirSizes(src.path)
	} else {
		zipped, unzipped, ok, err = zipFileSizes(src.path)
	}
	if ok {
		a.sizes[src.path] = sizes{zipped, unzipped}
	}
	return zipped, unzipped, ok, err
}

// dirSizes zips a directory the way the CDK CLI publishes it (deflate) and counts the
// bytes; unzipped is the sum of the file sizes.
func dirSizes(dir string) (zipped, unzipped int64, ok bool, err error) {
	var n counter
	zw := zip.NewWriter(&n)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate})
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		m, err := io.Copy(w, f)
		unzipped += m
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	return n.n, unzipped, err == nil, err
}

func zipFileSizes(path string) (zipped, unzipped int64, ok bool, err error) {
	r, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, false, err
	}
	defer r.Close()
	for _, f := range r.File {
		unzipped += int64(f.UncompressedSize64)
	}
	info, err := os.Stat(path)
	if err != nil {
		return 0, 0, false, err
	}
	return info.Size(), unzipped, true, nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
