package nag

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cloud assembly with a nested stage assembly: errors and warnings are found at any
// depth, info is ignored, and duplicates (the same finding on two stacks of a stage
// manifest) are reported once.
func TestFindings(t *testing.T) {
	dir := t.TempDir()
	stage := filepath.Join(dir, "assembly-dev")
	require.NoError(t, os.MkdirAll(stage, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes-pipeline.metadata.json"), []byte(`{
		"/notes-pipeline/Bucket/Resource": [{"type": "aws:cdk:info", "data": "fine"}]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "devBackend.metadata.json"), []byte(`{
		"/dev/Backend/Api/Resource": [
			{"type": "aws:cdk:error", "data": "AwsSolutions-APIG2: no request validation"},
			{"type": "aws:cdk:warning", "data": "a CDK warning"},
			{"type": "aws:cdk:logicalId", "data": "ApiResource"}]}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(stage, "devFrontend.metadata.json"), []byte(`{
		"/dev/Backend/Api/Resource": [{"type": "aws:cdk:warning", "data": "a CDK warning"}]}`), 0o644))
	got, err := Findings(dir)
	require.NoError(t, err)
	assert.Equal(t, []Finding{
		{Level: "error", Path: "/dev/Backend/Api/Resource", Text: "AwsSolutions-APIG2: no request validation"},
		{Level: "warning", Path: "/dev/Backend/Api/Resource", Text: "a CDK warning"},
	}, got)
	assert.Equal(t, "error /dev/Backend/Api/Resource: AwsSolutions-APIG2: no request validation", got[0].String())

	require.NoError(t, os.WriteFile(filepath.Join(stage, "broken.metadata.json"), []byte(`{`), 0o644))
	_, err = Findings(dir)
	assert.ErrorContains(t, err, "broken.metadata.json")
}
