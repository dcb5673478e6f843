package diagram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	out, err := Replace(readme, "flowchart TB\n")
	require.NoError(t, err)
	assert.Equal(t, "# x\n\n"+Block("flowchart TB\n")+"\n\nrest\n", out)
	again, err := Replace(out, "flowchart TB\n")
	require.NoError(t, err)
	assert.Equal(t, out, again, "idempotent")

	_, err = Replace("# no markers\n", "x")
	assert.ErrorContains(t, err, "0 <!-- diagram:start --> ... <!-- diagram:end --> sections")
	_, err = Replace(readme+readme, "x")
	assert.ErrorContains(t, err, "2 <!-- diagram:start -->")
}
