package cfn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nestedHash = "aa00000000000000000000000000000000000000000000000000000000000001"

func write(t *testing.T, path string, v any) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// fakeAssembly is what CDK writes for a pipeline stack and a stage "dev" whose Backend
// depends on Base and holds one nested stack, found through its TemplateURL.
func fakeAssembly(t *testing.T) string {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"assembly-dev": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-dev", "displayName": "dev"}},
		"notes-pipeline": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://333333333333/eu-west-1",
			"properties": map[string]any{"templateFile": "notes-pipeline.template.json"}},
	}})
	write(t, filepath.Join(dir, "notes-pipeline.template.json"), map[string]any{"Resources": map[string]any{"P": map[string]any{"Type": "AWS::CodePipeline::Pipeline"}}})
	stage := filepath.Join(dir, "assembly-dev")
	write(t, filepath.Join(stage, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"devBase": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1", "displayName": "dev/Base",
			"properties": map[string]any{"templateFile": "devBase.template.json", "stackName": "notes-dev-base"}},
		"devBackend.assets": map[string]any{"type": "cdk:asset-manifest", "properties": map[string]any{"file": "devBackend.assets.json"}},
		"devBackend": map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1", "displayName": "dev/Backend",
			"dependencies": []string{"devBase", "devBackend.assets"},
			"properties": map[string]any{"templateFile": "devBackend.template.json", "stackName": "notes-dev-backend",
				"lookupRole": map[string]any{"arn": "arn:${AWS::Partition}:iam::111111111111:role/lookup"}},
			"metadata": map[string]any{
				"/dev/Backend/Fn/Resource": []any{map[string]any{"type": "aws:cdk:logicalId", "data": "Fn1234"}},
				"/dev/Backend/Api/Routes3.NestedStack/Routes3.NestedStackResource": []any{map[string]any{"type": "aws:cdk:logicalId", "data": "ApiRoutes3NestedStackRoutes3NestedStackResourceAB"}},
				"/dev/Backend/Api/Routes3/scale/Resource":                          []any{map[string]any{"type": "aws:cdk:logicalId", "data": "scaleAB12"}},
			}},
	}})
	write(t, filepath.Join(stage, "devBase.template.json"), map[string]any{"Resources": map[string]any{"Vpc": map[string]any{"Type": "AWS::EC2::VPC"}}})
	write(t, filepath.Join(stage, "devBackend.template.json"), map[string]any{"Resources": map[string]any{
		"Fn1234": map[string]any{"Type": "AWS::Lambda::Function"},
		"ApiRoutes3NestedStackRoutes3NestedStackResourceAB": map[string]any{"Type": "AWS::CloudFormation::Stack",
			"Properties": map[string]any{"TemplateURL": map[string]any{"Fn::Join": []any{"", []any{"https://s3/", nestedHash + ".json"}}}}},
	}})
	write(t, filepath.Join(stage, "devBackend.assets.json"), map[string]any{"files": map[string]any{
		nestedHash: map[string]any{"source": map[string]any{"path": "devBackendApiRoutes3.nested.template.json", "packaging": "file"}},
		"bb":       map[string]any{"source": map[string]any{"path": "/work/src/lambdas/health", "packaging": "zip"}},
	}})
	write(t, filepath.Join(stage, "devBackendApiRoutes3.nested.template.json"), map[string]any{"Resources": map[string]any{
		"scaleAB12": map[string]any{"Type": "AWS::ApiGateway::Resource"}}})
	return dir
}

func TestRead(t *testing.T) {
	dir := fakeAssembly(t)
	a, err := Read(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"dev"}, a.Stages)
	var names []string
	for _, s := range a.Stacks {
		names = append(names, s.Display)
	}
	assert.Equal(t, []string{"dev/Backend", "dev/Backend/ApiRoutes3", "dev/Base", "notes-pipeline"}, names)

	backend := a.Stacks[0]
	assert.Equal(t, "notes-dev-backend", backend.Name)
	assert.Equal(t, "eu-west-1", backend.Region)
	assert.Equal(t, "dev", backend.Stage)
	assert.Equal(t, "111111111111", backend.Account)
	assert.Equal(t, []string{"devBase"}, backend.Dependencies, "asset manifests are not stack dependencies")
	assert.Equal(t, "arn:${AWS::Partition}:iam::111111111111:role/lookup", backend.LookupRole)
	assert.Equal(t, map[string]string{
		"Fn1234": "dev/Backend/Fn/Resource",
		"ApiRoutes3NestedStackRoutes3NestedStackResourceAB": "dev/Backend/Api/Routes3.NestedStack/Routes3.NestedStackResource",
	}, backend.Paths, "the nested stack's resources are not the parent's")
	assert.Contains(t, backend.Template.Resources, "Fn1234")

	nested := a.Stacks[1]
	assert.Same(t, backend, nested.Parent)
	assert.Equal(t, "ApiRoutes3NestedStackRoutes3NestedStackResourceAB", nested.ParentID)
	assert.Equal(t, map[string]string{"scaleAB12": "dev/Backend/Api/Routes3/scale/Resource"}, nested.Paths)
	assert.Equal(t, "AWS::ApiGateway::Resource", nested.Template.Resources["scaleAB12"].Type)
	assert.Len(t, a.StageStacks("dev"), 3)
	assert.Len(t, a.StageStacks(""), 1)

	assert.Equal(t, filepath.Join(dir, "assembly-dev", "devBackendApiRoutes3.nested.template.json"), a.Assets[nestedHash].Path)
	assert.Equal(t, "/work/src/lambdas/health", a.Assets["bb"].Path, "a skipped bundle's source folder is absolute")
}

func TestReadStage(t *testing.T) {
	dir := fakeAssembly(t)
	a, err := ReadStage(dir, "dev")
	require.NoError(t, err)
	assert.Len(t, a.Stacks, 3, "the stage's stacks only, not the pipeline")
	_, err = ReadStage(dir, "qa")
	assert.ErrorContains(t, err, `stage "qa" is not in the cloud assembly`)
	assert.ErrorContains(t, err, "allowed are dev")
}

func TestNotAnAssembly(t *testing.T) {
	_, err := Read(t.TempDir())
	assert.ErrorContains(t, err, "run cdk synth first")
}

// Errors and warnings that constructs leave in the metadata of any stack, at any depth of
// nested assemblies, are findings; info is not, and the same finding on two stacks of a
// stage is reported once. A metadata file that is not JSON is an error naming it.
func TestFindings(t *testing.T) {
	dir := t.TempDir()
	stack := func(file, meta string) map[string]any {
		return map[string]any{"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1",
			"additionalMetadataFile": meta, "properties": map[string]any{"templateFile": file}}
	}
	write(t, filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"notes-pipeline": stack("notes-pipeline.template.json", "notes-pipeline.metadata.json"),
		"assembly-dev":   map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-dev", "displayName": "dev"}},
	}})
	stage := filepath.Join(dir, "assembly-dev")
	write(t, filepath.Join(stage, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"devBackend":  stack("devBackend.template.json", "devBackend.metadata.json"),
		"devFrontend": stack("devFrontend.template.json", "devFrontend.metadata.json"),
	}})
	for _, f := range []string{"notes-pipeline.template.json", "assembly-dev/devBackend.template.json", "assembly-dev/devFrontend.template.json"} {
		write(t, filepath.Join(dir, f), map[string]any{"Resources": map[string]any{}})
	}
	write(t, filepath.Join(dir, "notes-pipeline.metadata.json"), map[string]any{
		"/notes-pipeline/Bucket/Resource": []any{map[string]any{"type": "aws:cdk:info", "data": "fine"}}})
	write(t, filepath.Join(stage, "devBackend.metadata.json"), map[string]any{
		"/dev/Backend/Api/Resource": []any{
			map[string]any{"type": "aws:cdk:error", "data": "AwsSolutions-APIG2: no request validation"},
			map[string]any{"type": "aws:cdk:warning", "data": "a CDK warning"},
			map[string]any{"type": "aws:cdk:logicalId", "data": "ApiResource"}}})
	write(t, filepath.Join(stage, "devFrontend.metadata.json"), map[string]any{
		"/dev/Backend/Api/Resource": []any{map[string]any{"type": "aws:cdk:warning", "data": "a CDK warning"}}})
	a, err := Read(dir)
	require.NoError(t, err)
	got := a.Findings()
	assert.Equal(t, []Annotation{
		{Level: "error", Path: "/dev/Backend/Api/Resource", Text: "AwsSolutions-APIG2: no request validation"},
		{Level: "warning", Path: "/dev/Backend/Api/Resource", Text: "a CDK warning"},
	}, got)
	assert.Equal(t, "error /dev/Backend/Api/Resource: AwsSolutions-APIG2: no request validation", got[0].String())
	assert.Contains(t, a.Annotations, Annotation{Level: "info", Path: "/notes-pipeline/Bucket/Resource", Text: "fine"})

	require.NoError(t, os.WriteFile(filepath.Join(stage, "devFrontend.metadata.json"), []byte(`{`), 0o644))
	_, err = Read(dir)
	assert.ErrorContains(t, err, "devFrontend.metadata.json")
}

// Origin follows Ref and Fn::GetAtt to the resource they name, through the parameters a
// parent passes to its nested stack.
func TestOrigin(t *testing.T) {
	a, err := Read(fakeAssembly(t))
	require.NoError(t, err)
	backend, nested := a.Stacks[0], a.Stacks[1]
	backend.Template.Resources["ApiRoutes3NestedStackRoutes3NestedStackResourceAB"].Properties["Parameters"] = map[string]any{
		"FnArn": map[string]any{"Fn::GetAtt": []any{"Fn1234", "Arn"}}}
	nested.Template.Parameters = map[string]Parameter{"FnArn": {Type: "String"}, "Other": {Type: "String"}}

	for _, v := range []any{map[string]any{"Ref": "FnArn"}, map[string]any{"Fn::GetAtt": "FnArn.Arn"}} {
		st, id, ok := nested.Origin(v)
		assert.True(t, ok, "%v", v)
		assert.Same(t, backend, st)
		assert.Equal(t, "Fn1234", id)
	}
	st, id, ok := nested.Origin(map[string]any{"Ref": "scaleAB12"})
	assert.True(t, ok)
	assert.Equal(t, nested, st)
	assert.Equal(t, "scaleAB12", id)
	for _, v := range []any{"literal", map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": "Other"}, map[string]any{"Fn::Join": []any{"", []any{}}}} {
		_, _, ok := nested.Origin(v)
		assert.False(t, ok, "%v", v)
	}
}
