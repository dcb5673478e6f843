package quotas

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/cfn"
)

// assembly is the cloud assembly the check reads, with the resolver that estimates what
// CloudFormation makes of template values (cfn.Options.Estimate: on the large side).
type assembly struct {
	*cfn.Assembly
	r     *cfn.Resolver
	sizes map[string]sizes // code sizes by asset path: stages share assets, zip each once
}

type sizes struct{ zipped, unzipped int64 }

func readAssembly(dir string) (*assembly, error) {
	asm, err := cfn.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("quotas: %w", err)
	}
	return &assembly{Assembly: asm, r: asm.Resolver(&cfn.Options{Estimate: true}), sizes: map[string]sizes{}}, nil
}

// measure returns the stack's template measures and those of its functions and
// CloudFront Functions. Function policies and API resources, which can span stacks, are
// added by the assembly-wide passes.
func (a *assembly) measure(st *cfn.Stack) []Measure {
	m := func(l Limit, subject string, v int) Measure {
		return Measure{Limit: l, Stack: st.Display, Subject: subject, Value: float64(v)}
	}
	out := []Measure{
		m(Resources, "", len(st.Template.Resources)),
		m(TemplateBytes, "", len(st.Raw)),
		m(Outputs, "", len(st.Template.Outputs)),
		m(Parameters, "", len(st.Template.Parameters)),
	}
	for _, id := range slices.Sorted(maps.Keys(st.Template.Resources)) {
		r := st.Template.Resources[id]
		switch r.Type {
		case "AWS::Lambda::Function":
			subject := "function " + id
			env := map[string]string{}
			if e, ok := r.Properties["Environment"].(map[string]any); ok {
				vars, _ := e["Variables"].(map[string]any)
				for k, v := range vars {
					env[k] = a.text(st, v)
				}
			}
			if len(env) > 0 {
				b, _ := json.Marshal(env)
				out = append(out, m(FunctionEnvBytes, subject, len(b)))
			}
			zipped, unzipped, ok, err := a.code(st, r.Properties["Code"])
			if err != nil {
				out = append(out, Measure{Limit: CodeZipBytes, Stack: st.Display, Subject: subject + ": " + err.Error(), Value: CodeZipBytes.Max})
				continue
			}
			if ok {
				layers, _ := r.Properties["Layers"].([]any)
				for _, layer := range layers {
					if ls, lid, found := st.Origin(layer); found && ls.Template.Resources[lid].Type == "AWS::Lambda::LayerVersion" {
						if _, u, ok, err := a.code(ls, ls.Template.Resources[lid].Properties["Content"]); err == nil && ok {
							unzipped += u
						}
					}
				}
				out = append(out, m(CodeZipBytes, subject, int(zipped)), m(CodeUnzippedBytes, subject, int(unzipped)))
			}
		case "AWS::CloudFront::Function":
			out = append(out, m(CloudFrontFunctionBytes, "function "+id, len(a.text(st, r.Properties["FunctionCode"]))))
		}
	}
	if st.Parent == nil {
		out = append(out, a.crossStack(st)...)
	}
	return out
}

// crossStack measures what nested stacks can add to a root stack's resources: the
// policies of its functions (their permissions may sit in nested stacks) and the API
// Gateway resources of its REST APIs. It runs once per root stack, over the root and its
// nested stacks.
func (a *assembly) crossStack(root *cfn.Stack) []Measure {
	type key struct {
		st *cfn.Stack
		id string
	}
	family := func(st *cfn.Stack) bool {
		for ; st != nil; st = st.Parent {
			if st == root {
				return true
			}
		}
		return false
	}
	statements := map[key][]string{}
	apiResources := map[key]int{}
	for _, st := range a.Stacks {
		if !family(st) {
			continue
		}
		for id, r := range st.Template.Resources {
			switch r.Type {
			case "AWS::ApiGateway::RestApi":
				apiResources[key{st, id}]++ // the root resource "/" counts too
			case "AWS::ApiGateway::Resource":
				if ost, oid, ok := st.Origin(r.Properties["RestApiId"]); ok {
					apiResources[key{ost, oid}]++
				}
			case "AWS::Lambda::Permission":
				if ost, oid, ok := st.Origin(r.Properties["FunctionName"]); ok {
					statements[key{ost, oid}] = append(statements[key{ost, oid}], a.statement(st, id, r, ost, oid))
				}
			}
		}
	}
	var out []Measure
	for k, n := range apiResources {
		out = append(out, Measure{Limit: APIResources, Stack: k.st.Display, Subject: "api " + k.id, Value: float64(n)})
	}
	for k, stmts := range statements {
		slices.Sort(stmts)
		doc := `{"Version":"2012-10-17","Id":"default","Statement":[` + strings.Join(stmts, ",") + `]}`
		kind := "function "
		if k.st.Template.Resources[k.id].Type == "AWS::Lambda::Alias" {
			kind = "alias "
		}
		out = append(out, Measure{Limit: FunctionPolicyBytes, Stack: k.st.Display, Subject: kind + k.id, Value: float64(len(doc))})
	}
	return out
}

// statement renders the resource-based policy statement that Lambda adds for one
// AWS::Lambda::Permission, the way GetPolicy shows it. The statement id is the
// permission's physical id, which CloudFormation generates from the stack name, the
// logical id and a random suffix; the resource is the function's ARN, or the alias's or
// version's qualified one.
func (a *assembly) statement(st *cfn.Stack, id string, r cfn.Resource, fnStack *cfn.Stack, fnID string) string {
	p := r.Properties
	principal := a.text(st, p["Principal"])
	var who any = map[string]string{"AWS": principal}
	if strings.HasSuffix(principal, ".amazonaws.com") {
		who = map[string]string{"Service": principal}
	}
	var fn any = map[string]any{"Ref": fnID} // an alias's or a version's ARN
	if fnStack.Template.Resources[fnID].Type == "AWS::Lambda::Function" {
		fn = map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}
	}
	stmt := map[string]any{"Sid": a.text(st, map[string]any{"Ref": id}), "Effect": "Allow", "Principal": who,
		"Action": a.text(st, p["Action"]), "Resource": a.text(fnStack, fn)}
	cond := map[string]map[string]string{}
	if v, ok := p["SourceArn"]; ok {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": a.text(st, v)}
	}
	if v, ok := p["SourceAccount"]; ok {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": a.text(st, v)}
	}
	if len(cond) > 0 {
		stmt["Condition"] = cond
	}
	b, _ := json.Marshal(stmt)
	return string(b)
}

// text is a template value as AWS sees it once CloudFormation has resolved it, estimated
// on the large side (names and ids it cannot know at their longest usual length); a
// list or an object is its JSON.
func (a *assembly) text(st *cfn.Stack, v any) string {
	rv, err := a.r.Value(st, v)
	if err != nil { // an estimate resolves every value; a stack it cannot read at all
		return strings.Repeat("x", cfn.EstimateLength)
	}
	switch x := rv.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(rv)
	return string(b)
}

// code returns the zipped and unzipped size of a function's or layer's code asset; ok is
// false for inline code or code from a bucket that is not an asset of this assembly.
func (a *assembly) code(st *cfn.Stack, v any) (zipped, unzipped int64, ok bool, err error) {
	c, _ := v.(map[string]any)
	key := a.text(st, c["S3Key"])
	hash := strings.TrimSuffix(key, ".zip")
	src, found := a.Assets[hash]
	if !found {
		return 0, 0, false, nil
	}
	if sz, done := a.sizes[src.Path]; done {
		return sz.zipped, sz.unzipped, true, nil
	}
	info, err := os.Stat(src.Path)
	if err != nil {
		return 0, 0, false, fmt.Errorf("code asset missing from the assembly: %v", err)
	}
	if info.IsDir() {
		key, total, kerr := zipKey(src.Path)
		if n, hit := cachedZipped(key); kerr == nil && hit {
			zipped, unzipped, ok = n, total, true
		} else if zipped, unzipped, ok, err = dirSizes(src.Path); ok && kerr == nil {
			rememberZipped(key, zipped)
		}
	} else {
		zipped, unzipped, ok, err = zipFileSizes(src.Path)
	}
	if ok {
		a.sizes[src.Path] = sizes{zipped, unzipped}
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
