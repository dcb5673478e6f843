package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/diagram"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/stacks"
)

// The diagram in the docs is the one the current code generates.
func TestDiagramUpToDate(t *testing.T) {
	mermaid, err := diagram.Diagram(shippedApp(t).Assembly)
	require.NoError(t, err)
	path := filepath.Join(repoRoot(t), diagram.Doc)
	readme, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := diagram.Replace(string(readme), mermaid)
	require.NoError(t, err)
	if want != string(readme) {
		t.Errorf("%s: the architecture diagram is out of date: run `make diagram` and commit it. It should be:\n%s", diagram.Doc, diagram.Block(mermaid))
	}
}

// The generated diagram shows what the app deploys: the pipeline deploying every
// environment, the first environment's four stacks with their functions, and the
// cross-stack references of its stacks.
func TestDiagramShowsTheApp(t *testing.T) {
	mermaid, err := diagram.Diagram(shippedApp(t).Assembly)
	require.NoError(t, err)
	cfg := shippedApp(t).Config
	first := cfg.Environments[0]

	assert.True(t, strings.HasPrefix(mermaid, "flowchart TB\n"))
	assert.Contains(t, mermaid, `subgraph top_`+diagram.ID(stacks.PipelineStackName(cfg.AppName)))
	for _, e := range cfg.Environments {
		assert.Contains(t, mermaid, `-->|"deploys"| stage_`+e.Name, "the pipeline deploys %s", e.Name)
		assert.Contains(t, mermaid, "environment "+e.Name+" ("+e.Account+", "+e.Region+")")
	}
	for _, part := range []string{"Base", "Data", "Backend", "Frontend"} {
		assert.Contains(t, mermaid, `subgraph `+first.Name+`_`+part+`["`+part+`<br/>`+cfg.AppName+"-"+first.Name+"-"+strings.ToLower(part)+`"]`)
	}
	for _, f := range api.Functions {
		assert.Contains(t, mermaid, `["Lambda function<br/>`+f.Name+`"]`, "function %s", f.Name)
	}
	for _, main := range []string{"DynamoDB table", "Cognito user pool", "REST API", "CloudFront distribution", "CloudTrail trail", "VPC", "KMS key", "S3 bucket"} {
		assert.Contains(t, mermaid, `["`+main+`<br/>`)
	}
	assert.NotContains(t, mermaid, "Custom::", "CDK's own custom-resource handlers are not architecture")
	// Backend reads the table and the user pool of Data, and the log key of Base.
	assert.Regexp(t, first.Name+`_Backend -->\|"[^"]*Notes[^"]*Users[^"]*"\| `+first.Name+`_Data`, mermaid)
	assert.Regexp(t, first.Name+`_Backend -->\|"[^"]*LogKey[^"]*"\| `+first.Name+`_Base`, mermaid)
	assert.Regexp(t, first.Name+`_Frontend -->\|"[^"]*Api[^"]*"\| `+first.Name+`_Backend`, mermaid)
}
