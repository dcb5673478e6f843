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
	assert.Contains(t, backend.Resources(), "Fn1234")

	nested := a.Stacks[1]
	assert.Same(t, backend, nested.Parent)
	assert.Equal(t, "ApiRoutes3NestedStackRoutes3NestedStackResourceAB", nested.ParentID)
	assert.Equal(t, map[string]string{"scaleAB12": "dev/Backend/Api/Routes3/scale/Resource"}, nested.Paths)
	assert.Equal(t, "AWS::ApiGateway::Resource", nested.Resources()["scaleAB12"]["Type"])
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
