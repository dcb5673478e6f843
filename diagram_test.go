package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/stacks"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shippedCleanup != nil {
		shippedCleanup()
	}
	jsii.Close() // one jsii kernel per test binary (the diagram test synthesizes)
	os.Exit(code)
}

var (
	shippedOnce     sync.Once
	shippedAssembly string
	shippedCleanup  func()
	shippedErr      error
)

// shipped synthesizes the app of cdk.json once, exactly as `go run . diagram` does.
func shipped(t *testing.T) string {
	t.Helper()
	shippedOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				shippedErr = fmt.Errorf("panic during synth: %v", r)
			}
		}()
		root, err := repo.Root()
		if err != nil {
			shippedErr = err
			return
		}
		shippedAssembly, shippedCleanup, shippedErr = synthShipped(root)
	})
	require.NoError(t, shippedErr)
	return shippedAssembly
}

// The diagram in README.md is the one the current code generates.
func TestDiagramUpToDate(t *testing.T) {
	mermaid, err := Diagram(shipped(t))
	require.NoError(t, err)
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	want, err := replaceDiagram(string(readme), mermaid)
	require.NoError(t, err)
	if want != string(readme) {
		t.Errorf("README.md: the architecture diagram is out of date: run `make diagram` and commit README.md. It should be:\n%s", diagramBlock(mermaid))
	}
}

// The generated diagram shows what the app deploys: the pipeline deploying every
// environment, the first environment's four stacks with their functions, and the
// cross-stack references of its stacks.
func TestDiagramShowsTheApp(t *testing.T) {
	mermaid, err := Diagram(shipped(t))
	require.NoError(t, err)
	root, err := repo.Root()
	require.NoError(t, err)
	ctx, err := repo.CDKContext(root)
	require.NoError(t, err)
	cfg, err := config.Load(ctx)
	require.NoError(t, err)
	first := cfg.Environments[0]

	assert.True(t, strings.HasPrefix(mermaid, "flowchart TB\n"))
	assert.Contains(t, mermaid, `subgraph top_`+mermaidID(stacks.PipelineStackName(cfg.AppName)))
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

// writeAssembly writes a small cloud assembly: stages dev and qa with stacks Store and Web
// (Web reads Store's bucket and key through Fn::GetStackOutput), qa with an extra table.
func writeAssembly(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	type m = map[string]any
	write(filepath.Join(dir, "manifest.json"), m{"artifacts": m{
		"assembly-dev": m{"type": "cdk:cloud-assembly", "properties": m{"directoryName": "assembly-dev", "displayName": "dev"}},
		"assembly-qa":  m{"type": "cdk:cloud-assembly", "properties": m{"directoryName": "assembly-qa", "displayName": "qa"}},
	}})
	for _, stage := range []string{"dev", "qa"} {
		sub := filepath.Join(dir, "assembly-"+stage)
		storeRes := m{
			"Bucket1": m{"Type": "AWS::S3::Bucket"},
			"Key1":    m{"Type": "AWS::KMS::Key"},
			"Topic1":  m{"Type": "AWS::SNS::Topic"},
		}
		storeMeta := m{
			"/" + stage + "/Store/Files/Resource":     []m{{"type": "aws:cdk:logicalId", "data": "Bucket1"}},
			"/" + stage + "/Store/Files/Key/Resource": []m{{"type": "aws:cdk:logicalId", "data": "Key1"}},
		}
		if stage == "qa" {
			storeRes["Table1"] = m{"Type": "AWS::DynamoDB::Table"}
			storeMeta["/qa/Store/Orders/Resource"] = []m{{"type": "aws:cdk:logicalId", "data": "Table1"}}
		}
		write(filepath.Join(sub, "store.template.json"), m{"Resources": storeRes, "Outputs": m{
			"OutBucket": m{"Value": m{"Ref": "Bucket1"}},
			"OutKey":    m{"Value": m{"Fn::GetAtt": []any{"Key1", "Arn"}}},
		}})
		write(filepath.Join(sub, "store.metadata.json"), storeMeta)
		ref := func(out string) m {
			return m{"Fn::GetStackOutput": m{"StackName": "shop-" + stage + "-store", "OutputName": out, "Region": "eu-west-1"}}
		}
		write(filepath.Join(sub, "web.template.json"), m{"Resources": m{
			"Fn1":    m{"Type": "AWS::Lambda::Function", "Properties": m{"Environment": m{"Variables": m{"BUCKET": ref("OutBucket"), "KEY": ref("OutKey")}}}},
			"Helper": m{"Type": "AWS::Lambda::Function"},
		}})
		write(filepath.Join(sub, "web.metadata.json"), m{
			"/" + stage + "/Web/Render \"quoted\"/Resource": []m{{"type": "aws:cdk:logicalId", "data": "Fn1"}},
			"/" + stage + "/Web/Custom::Deployer/Resource":  []m{{"type": "aws:cdk:logicalId", "data": "Helper"}},
		})
		env := "aws://111111111111/eu-west-1"
		write(filepath.Join(sub, "manifest.json"), m{"artifacts": m{
			"Web":   m{"type": "aws:cloudformation:stack", "environment": env, "displayName": stage + "/Web", "dependencies": []string{"Store"}, "additionalMetadataFile": "web.metadata.json", "properties": m{"templateFile": "web.template.json", "stackName": "shop-" + stage + "-web"}},
			"Store": m{"type": "aws:cloudformation:stack", "environment": env, "displayName": stage + "/Store", "additionalMetadataFile": "store.metadata.json", "properties": m{"templateFile": "store.template.json", "stackName": "shop-" + stage + "-store"}},
		}})
	}
	return dir
}

func TestDiagramOfAnAssembly(t *testing.T) {
	mermaid, err := Diagram(writeAssembly(t))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(mermaid), "\n")
	assert.Equal(t, []string{
		`flowchart TB`,
		`  subgraph stage_dev["environment dev (111111111111, eu-west-1)"]`,
		`    subgraph dev_Store["Store<br/>shop-dev-store"]`,
		`      dev_Store_Files_Key["KMS key<br/>Files/Key"]`,
		`      dev_Store_Files["S3 bucket<br/>Files"]`,
		`    end`,
		`    subgraph dev_Web["Web<br/>shop-dev-web"]`,
		`      dev_Web_Render__quoted_["Lambda function<br/>Render #quot;quoted#quot;"]`,
		`    end`,
		`  end`,
		`  stage_qa["environment qa (111111111111, eu-west-1)<br/>as dev, except:<br/>+ Store: DynamoDB table Orders"]`,
		`  dev_Web -->|"Files"| dev_Store`,
	}, lines, "stacks in deployment order; main resources only (no SNS topic, no Custom:: handler); the reference to Files and Files/Key is one edge labelled with the construct")
}

func TestReplaceDiagram(t *testing.T) {
	readme := "# x\n\n" + diagramStart + "\nold\n" + diagramEnd + "\n\nrest\n"
	out, err := replaceDiagram(readme, "flowchart TB\n")
	require.NoError(t, err)
	assert.Equal(t, "# x\n\n"+diagramBlock("flowchart TB\n")+"\n\nrest\n", out)
	again, err := replaceDiagram(out, "flowchart TB\n")
	require.NoError(t, err)
	assert.Equal(t, out, again, "idempotent")

	_, err = replaceDiagram("# no markers\n", "x")
	assert.ErrorContains(t, err, "0 <!-- diagram:start --> ... <!-- diagram:end --> sections")
	_, err = replaceDiagram(readme+readme, "x")
	assert.ErrorContains(t, err, "2 <!-- diagram:start -->")
}
