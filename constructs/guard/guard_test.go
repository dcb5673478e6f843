package guard

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

const reason = "A reason long enough for a reviewer to read and check."

func TestValidate(t *testing.T) {
	assert.NoError(t, Validate(Waivers), "the reviewed list is well formed")
	assert.ErrorContains(t, Validate([]Waiver{{Control: "CT.S3.PR.2", Type: "AWS::S3::Bucket", Path: "*/Logs", Reason: "short"}}),
		"a Reason of at least 40 characters")
	assert.ErrorContains(t, Validate([]Waiver{{Control: "CT.S3.PR.2", Type: "AWS::S3::Bucket", Path: "[", Reason: reason}}), `Path "["`)
	w := Waiver{Control: "CT.S3.PR.2", Type: "AWS::S3::Bucket", Path: "*/Logs/Resource", Reason: reason}
	assert.ErrorContains(t, Validate([]Waiver{w, w}), "listed twice")
	for _, na := range NotApplicableControls {
		assert.NotNil(t, na.When, na.Control)
		assert.GreaterOrEqual(t, len(na.Reason), 40, na.Control)
	}
}

// Apply writes each matching waiver into Metadata.guard.SuppressedRules of the resources
// of the waiver's type at a matching path, in every stage, and reports what it matched.
func TestApply(t *testing.T) {
	app := awscdk.NewApp(nil)
	var stacks []awscdk.Stack
	for _, env := range []string{"dev", "prod"} {
		stage := awscdk.NewStage(app, jsii.String(env), nil)
		stack := awscdk.NewStack(stage, jsii.String("Base"), &awscdk.StackProps{StackName: jsii.String("app-" + env + "-base")})
		awss3.NewBucket(stack, jsii.String("Logs"), nil)
		awss3.NewBucket(stack, jsii.String("Data"), nil)
		awssns.NewTopic(stack, jsii.String("Logs2"), nil)
		stacks = append(stacks, stack)
	}
	waivers := []Waiver{
		{Control: "CT.S3.PR.2", Type: "AWS::S3::Bucket", Path: "*/Base/Logs/Resource", Reason: reason},
		{Control: "CT.S3.PR.9", Type: "AWS::S3::Bucket", Path: "*/Base/Logs/Resource", Reason: reason},
		{Control: "CT.SNS.PR.1", Type: "AWS::S3::Bucket", Path: "*/Base/Logs2/Resource", Reason: reason}, // wrong type: no match
		{Control: "CT.S3.PR.1", Type: "AWS::S3::Bucket", Path: "*/Other/*", Reason: reason},
	}
	matches := Apply(app, waivers)
	require.Len(t, matches, 4, "two controls on the log bucket of each of two stages")
	for _, m := range matches {
		assert.Regexp(t, `^(dev|prod)/Base/Logs/Resource$`, m.Path)
		assert.Regexp(t, `^app-(dev|prod)-base$`, m.Stack)
		assert.Regexp(t, `^Logs[0-9A-F]{8}$`, m.LogicalID)
	}
	for _, stack := range stacks {
		tpl := assertions.Template_FromStack(stack, nil)
		found := *tpl.FindResources(jsii.String("AWS::S3::Bucket"), nil)
		require.Len(t, found, 2)
		for id, r := range found {
			md, _ := (*r)["Metadata"].(map[string]interface{})
			if id[:4] == "Logs" {
				assert.Equal(t, map[string]interface{}{"SuppressedRules": []interface{}{"CT.S3.PR.2", "CT.S3.PR.9"}}, md["guard"])
			} else {
				assert.NotContains(t, md, "guard", id)
			}
		}
		for id, r := range *tpl.FindResources(jsii.String("AWS::SNS::Topic"), nil) {
			md, _ := (*r)["Metadata"].(map[string]interface{})
			assert.NotContains(t, md, "guard", "a waiver for another type must not reach %s", id)
		}
	}
}
