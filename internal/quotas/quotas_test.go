package quotas

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fake is a cloud assembly written by a test: one stack (plus nested stacks and assets).
type fake struct {
	t         *testing.T
	dir       string
	resources map[string]any
	outputs   map[string]any
	params    map[string]any
	pad       string // Description, to size the template
	nested    map[string]map[string]any
	assets    map[string]map[string]any
}

func newFake(t *testing.T) *fake {
	return &fake{t: t, dir: t.TempDir(), resources: map[string]any{}, outputs: map[string]any{}, params: map[string]any{},
		nested: map[string]map[string]any{}, assets: map[string]map[string]any{}}
}

func (f *fake) write() string {
	t := f.t
	write := func(name string, v any) {
		b, err := json.MarshalIndent(v, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(f.dir, name), b, 0o644))
	}
	tpl := map[string]any{"Resources": f.resources, "Outputs": f.outputs, "Parameters": f.params, "Description": f.pad}
	write("S.template.json", tpl)
	for name, r := range f.nested {
		write(name, map[string]any{"Resources": r["Resources"], "Parameters": r["Parameters"]})
	}
	write("S.assets.json", map[string]any{"version": "48.0.0", "files": f.assets})
	write("manifest.json", map[string]any{"version": "48.0.0", "artifacts": map[string]any{
		"S.assets": map[string]any{"type": "cdk:asset-manifest", "properties": map[string]any{"file": "S.assets.json"}},
		"S": map[string]any{"type": "aws:cloudformation:stack", "displayName": "dev/Backend",
			"environment": "aws://111111111111/eu-west-1",
			"properties":  map[string]any{"templateFile": "S.template.json", "stackName": "notes-dev-backend"}},
	}})
	return f.dir
}

// measure writes the assembly and returns the one measure of limit for subject.
func (f *fake) measure(l Limit, subject string) Measure {
	f.t.Helper()
	ms, err := Check(f.write())
	require.NoError(f.t, err)
	for _, m := range ms {
		if m.Limit.ID == l.ID && strings.HasPrefix(m.Subject, subject) {
			return m
		}
	}
	f.t.Fatalf("no %s measure for %q in %v", l.ID, subject, ms)
	return Measure{}
}

// ratios are the shares of each limit the tests build: just below the threshold, at it,
// and past the limit itself.
var ratios = []struct {
	name   string
	ratio  float64
	breach bool
}{{"79%", 0.79, false}, {"80%", 0.80, true}, {"past 100%", 1.01, true}}

func target(l Limit, ratio float64) int { return int(math.Round(l.Max * ratio)) }

// checkAt asserts the measure has the intended value and the intended verdict, and that
// a breach names the stack, the limit, the value and the fix.
func checkAt(t *testing.T, m Measure, want int, breach bool) {
	t.Helper()
	require.Equal(t, float64(want), m.Value, "measured value")
	assert.Equal(t, breach, m.Breach(), "breach at %.1f%%", 100*m.Ratio())
	assert.Equal(t, breach, len(Breaches([]Measure{m})) == 1)
	line := m.String()
	for _, part := range []string{"dev/Backend", m.Limit.Name, fmt.Sprint(want), m.Limit.Fix} {
		assert.Contains(t, line, part)
	}
}

// sized builds an assembly twice: once to measure the base size, once padded to hit the
// target exactly (each padding byte adds one measured byte).
func sized(t *testing.T, l Limit, subject string, want int, build func(f *fake, pad int)) Measure {
	t.Helper()
	f := newFake(t)
	build(f, 0)
	base := f.measure(l, subject).Value
	require.Less(t, base, float64(want), "the fixture alone is already over the target")
	f = newFake(t)
	build(f, want-int(base))
	return f.measure(l, subject)
}

func bucket(i int) map[string]any { return map[string]any{"Type": "AWS::S3::Bucket"} }

func TestResourcesPerTemplate(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			f := newFake(t)
			n := target(Resources, r.ratio)
			for i := range n {
				f.resources[fmt.Sprintf("B%d", i)] = bucket(i)
			}
			checkAt(t, f.measure(Resources, ""), n, r.breach)
		})
	}
}

func TestTemplateBytes(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			want := target(TemplateBytes, r.ratio)
			m := sized(t, TemplateBytes, "", want, func(f *fake, pad int) {
				f.resources["B"] = bucket(0)
				f.pad = strings.Repeat("x", pad)
			})
			checkAt(t, m, want, r.breach)
		})
	}
}

func TestOutputsAndParameters(t *testing.T) {
	for _, l := range []Limit{Outputs, Parameters} {
		for _, r := range ratios {
			t.Run(l.ID+" "+r.name, func(t *testing.T) {
				f := newFake(t)
				f.resources["B"] = bucket(0)
				n := target(l, r.ratio)
				for i := range n {
					if l.ID == Outputs.ID {
						f.outputs[fmt.Sprintf("O%d", i)] = map[string]any{"Value": "v"}
					} else {
						f.params[fmt.Sprintf("P%d", i)] = map[string]any{"Type": "String"}
					}
				}
				checkAt(t, f.measure(l, ""), n, r.breach)
			})
		}
	}
}

// API Gateway resources count across nested stacks: the nested stack receives the API
// id as a parameter, and its resources count against the parent's API. The nested
// template is found through the asset hash of its TemplateURL (what CDK writes) or
// through asset metadata.
func TestAPIResourcesAcrossNestedStacks(t *testing.T) {
	const hash = "0f0e0d0c0b0a09080706050403020100ffeeddccbbaa99887766554433221100"
	for _, form := range []string{"TemplateURL", "metadata"} {
		for _, r := range ratios {
			t.Run(form+" "+r.name, func(t *testing.T) {
				f := newFake(t)
				n := target(APIResources, r.ratio)
				f.resources["Api"] = map[string]any{"Type": "AWS::ApiGateway::RestApi"}
				nested := map[string]any{}
				for i := range n - 1 { // the root resource "/" is the first
					res := map[string]any{"Type": "AWS::ApiGateway::Resource", "Properties": map[string]any{
						"RestApiId": map[string]any{"Ref": "Api"}, "PathPart": fmt.Sprintf("p%d", i)}}
					if i%2 == 0 {
						f.resources[fmt.Sprintf("R%d", i)] = res
					} else {
						res["Properties"].(map[string]any)["RestApiId"] = map[string]any{"Ref": "ApiIdParam"}
						nested[fmt.Sprintf("R%d", i)] = res
					}
				}
				stack := map[string]any{
					"Type":       "AWS::CloudFormation::Stack",
					"Properties": map[string]any{"Parameters": map[string]any{"ApiIdParam": map[string]any{"Ref": "Api"}}},
				}
				if form == "metadata" {
					stack["Metadata"] = map[string]any{"aws:asset:path": "SRoutes.nested.template.json"}
				} else {
					stack["Properties"].(map[string]any)["TemplateURL"] = map[string]any{"Fn::Join": []any{"", []any{
						"https://s3.eu-west-1.", map[string]any{"Ref": "AWS::URLSuffix"}, "/cdk-assets/" + hash + ".json"}}}
					f.assets[hash] = map[string]any{"source": map[string]any{"path": "SRoutes.nested.template.json", "packaging": "file"}}
				}
				f.resources["RoutesNestedStackRoutesNestedStackResourceAB12"] = stack
				f.nested["SRoutes.nested.template.json"] = map[string]any{"Resources": nested,
					"Parameters": map[string]any{"ApiIdParam": map[string]any{"Type": "String"}}}
				m := f.measure(APIResources, "api Api")
				checkAt(t, m, n, r.breach)
				if r.breach {
					assert.Contains(t, m.String(), "Resources per API")
					assert.Contains(t, m.String(), "Service Quotas")
				}
			})
		}
	}
}

// A quota raised for an environment (a granted Service Quotas request) moves its limit.
func TestRaisedQuota(t *testing.T) {
	f := newFake(t)
	f.resources["Api"] = map[string]any{"Type": "AWS::ApiGateway::RestApi"}
	for i := range 299 {
		f.resources[fmt.Sprintf("R%d", i)] = map[string]any{"Type": "AWS::ApiGateway::Resource",
			"Properties": map[string]any{"RestApiId": map[string]any{"Ref": "Api"}}}
	}
	dir := f.write()
	ms, err := Check(dir)
	require.NoError(t, err)
	assert.NotEmpty(t, onlyLimit(Breaches(ms), APIResources))
	ms, err = Check(dir, Raise{StackPrefix: "dev/", Limit: APIResources, Max: 600})
	require.NoError(t, err)
	assert.Empty(t, onlyLimit(Breaches(ms), APIResources))
	ms, err = Check(dir, Raise{StackPrefix: "prod/", Limit: APIResources, Max: 600})
	require.NoError(t, err)
	assert.NotEmpty(t, onlyLimit(Breaches(ms), APIResources), "a raise for prod does not apply to dev")
}

func onlyLimit(ms []Measure, l Limit) []Measure {
	var out []Measure
	for _, m := range ms {
		if m.Limit.ID == l.ID {
			out = append(out, m)
		}
	}
	return out
}

func function(env map[string]any) map[string]any {
	return map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{
		"Runtime": "provided.al2023", "Environment": map[string]any{"Variables": env}}}
}

func permission(fn any, sourceArn any) map[string]any {
	return map[string]any{"Type": "AWS::Lambda::Permission", "Properties": map[string]any{
		"Action": "lambda:InvokeFunction", "FunctionName": fn, "Principal": "apigateway.amazonaws.com", "SourceArn": sourceArn}}
}

func TestFunctionPolicyBytes(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			want := target(FunctionPolicyBytes, r.ratio)
			m := sized(t, FunctionPolicyBytes, "function Fn", want, func(f *fake, pad int) {
				f.resources["Fn"] = function(nil)
				for i := range 20 {
					f.resources[fmt.Sprintf("Perm%d", i)] = permission(map[string]any{"Fn::GetAtt": []any{"Fn", "Arn"}},
						map[string]any{"Fn::Join": []any{"", []any{"arn:aws:execute-api:", map[string]any{"Ref": "AWS::Region"}, ":",
							map[string]any{"Ref": "AWS::AccountId"}, ":api/*/GET/p" + fmt.Sprint(i)}}})
				}
				f.resources["Padded"] = permission(map[string]any{"Ref": "Fn"}, "arn:aws:execute-api:eu-west-1:111111111111:api/*/GET/"+strings.Repeat("p", pad))
			})
			checkAt(t, m, want, r.breach)
		})
	}
}

// Each permission adds one statement of the size Lambda stores: about 440 bytes for an
// API Gateway method permission, as measured on deployed functions.
func TestPolicyStatementSize(t *testing.T) {
	one, two := newFake(t), newFake(t)
	arn := map[string]any{"Fn::GetAtt": []any{"NotesReadD9896903", "Arn"}}
	src := "arn:aws:execute-api:eu-west-1:111111111111:abcdefghij/api/GET/notes/*"
	for _, f := range []*fake{one, two} {
		f.resources["NotesReadD9896903"] = function(nil)
		f.resources["NotesReadApiPermissionnotesdevbackendApi8E2AGETnotesA1B2C3D4"] = permission(arn, src)
	}
	two.resources["NotesReadApiPermissionTestnotesdevbackendApi8E2AGETnotesE5F6A7B8"] = permission(arn, src)
	perStatement := two.measure(FunctionPolicyBytes, "function").Value - one.measure(FunctionPolicyBytes, "function").Value
	assert.InDelta(t, 440, perStatement, 60, "bytes added by one permission")
}

// Permissions on an alias make the alias's own policy, not the function's.
func TestAliasPolicyIsSeparate(t *testing.T) {
	f := newFake(t)
	f.resources["Fn"] = function(nil)
	f.resources["Live"] = map[string]any{"Type": "AWS::Lambda::Alias", "Properties": map[string]any{"FunctionName": map[string]any{"Ref": "Fn"}}}
	f.resources["P1"] = permission(map[string]any{"Ref": "Live"}, "arn:aws:execute-api:eu-west-1:111111111111:api/*/*/*")
	ms, err := Check(f.write())
	require.NoError(t, err)
	policies := onlyLimit(ms, FunctionPolicyBytes)
	require.Len(t, policies, 1)
	assert.Equal(t, "alias Live", policies[0].Subject)
}

func TestFunctionEnvBytes(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			want := target(FunctionEnvBytes, r.ratio)
			m := sized(t, FunctionEnvBytes, "function Fn", want, func(f *fake, pad int) {
				f.resources["Table"] = map[string]any{"Type": "AWS::DynamoDB::Table"}
				f.resources["Fn"] = function(map[string]any{"TABLE_NAME": map[string]any{"Ref": "Table"}, "PAD": strings.Repeat("v", pad)})
			})
			checkAt(t, m, want, r.breach)
		})
	}
}

// zipAsset writes a zip file asset: stored (uncompressed) bytes of the given length, or
// zeros deflated down to almost nothing that unzip to the given length.
func zipAsset(t *testing.T, f *fake, hash string, stored, deflated int) {
	t.Helper()
	path := filepath.Join(f.dir, "asset."+hash+".zip")
	out, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(out)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Store})
	require.NoError(t, err)
	_, err = w.Write(make([]byte, stored))
	require.NoError(t, err)
	if deflated > 0 {
		w, err = zw.CreateHeader(&zip.FileHeader{Name: "data", Method: zip.Deflate})
		require.NoError(t, err)
		chunk := make([]byte, 1<<20)
		for n := deflated; n > 0; n -= len(chunk) {
			_, err = w.Write(chunk[:min(n, len(chunk))])
			require.NoError(t, err)
		}
	}
	require.NoError(t, zw.Close())
	require.NoError(t, out.Close())
	f.assets[hash] = map[string]any{"source": map[string]any{"path": "asset." + hash + ".zip", "packaging": "file"}}
}

func codeFunction(hash string) map[string]any {
	return map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{
		"Code": map[string]any{"S3Bucket": "b", "S3Key": hash + ".zip"}}}
}

func TestCodeZipBytes(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			want := target(CodeZipBytes, r.ratio)
			m := sized(t, CodeZipBytes, "function Fn", want, func(f *fake, pad int) {
				f.resources["Fn"] = codeFunction("aaaa")
				zipAsset(t, f, "aaaa", pad, 0)
			})
			checkAt(t, m, want, r.breach)
		})
	}
}

// The unzipped size counts the function's code and its layers.
func TestCodeUnzippedBytesWithLayers(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			want := target(CodeUnzippedBytes, r.ratio)
			f := newFake(t)
			fn := codeFunction("aaaa")
			fn["Properties"].(map[string]any)["Layers"] = []any{map[string]any{"Ref": "Layer"}}
			f.resources["Fn"] = fn
			f.resources["Layer"] = map[string]any{"Type": "AWS::Lambda::LayerVersion", "Properties": map[string]any{
				"Content": map[string]any{"S3Bucket": "b", "S3Key": "bbbb.zip"}}}
			zipAsset(t, f, "aaaa", 1000, want/2-1000)
			zipAsset(t, f, "bbbb", 0, want-want/2)
			checkAt(t, f.measure(CodeUnzippedBytes, "function Fn"), want, r.breach)
		})
	}
}

// A directory asset is measured as the CLI will zip it.
func TestDirectoryAsset(t *testing.T) {
	f := newFake(t)
	dir := filepath.Join(f.dir, "asset.cccc")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(strings.Repeat("go", 50_000)), 0o755))
	f.assets["cccc"] = map[string]any{"source": map[string]any{"path": "asset.cccc", "packaging": "zip"}}
	f.resources["Fn"] = codeFunction("cccc")
	assert.Equal(t, float64(100_000), f.measure(CodeUnzippedBytes, "function Fn").Value)
	zipped := f.measure(CodeZipBytes, "function Fn").Value
	assert.Greater(t, zipped, 0.0)
	assert.Less(t, zipped, 10_000.0, "repetitive content deflates")
}

func TestMissingAssetIsABreach(t *testing.T) {
	f := newFake(t)
	f.assets["dddd"] = map[string]any{"source": map[string]any{"path": "asset.dddd", "packaging": "zip"}}
	f.resources["Fn"] = codeFunction("dddd")
	m := f.measure(CodeZipBytes, "function Fn")
	assert.True(t, m.Breach())
	assert.Contains(t, m.String(), "code asset missing")
}

func TestCloudFrontFunctionBytes(t *testing.T) {
	for _, r := range ratios {
		t.Run(r.name, func(t *testing.T) {
			f := newFake(t)
			n := target(CloudFrontFunctionBytes, r.ratio)
			f.resources["Spa"] = map[string]any{"Type": "AWS::CloudFront::Function", "Properties": map[string]any{
				"FunctionCode": strings.Repeat("/", n)}}
			checkAt(t, f.measure(CloudFrontFunctionBytes, "function Spa"), n, r.breach)
		})
	}
}

// Every limit of the table has a test above, and the table prints every measure.
func TestEveryLimitIsMeasuredAndPrinted(t *testing.T) {
	assert.Len(t, Limits, 10)
	f := newFake(t)
	f.resources["Fn"] = function(map[string]any{"A": "b"})
	ms, err := Check(f.write())
	require.NoError(t, err)
	table := Table(ms)
	assert.Contains(t, table, "resources per template")
	assert.Contains(t, table, "Lambda environment variables")
	assert.Equal(t, len(ms)+1, strings.Count(table, "\n"))
}

func TestNotAnAssembly(t *testing.T) {
	_, err := Check(t.TempDir())
	assert.ErrorContains(t, err, "run cdk synth")
}
