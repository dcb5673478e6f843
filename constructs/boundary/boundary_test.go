package boundary

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{Name: "notes-dev-permissions-boundary", Allow: []string{"dynamodb:GetItem", "s3:Get*"}}).validate())
	err := (&Props{}).validate()
	assert.ErrorContains(t, err, `Name ""`)
	assert.ErrorContains(t, err, "Allow is empty")
	err = (&Props{Name: "bad name", Allow: []string{"*", "s3:GetObject"}, Deny: []string{"iam"}, Description: strings.Repeat("x", 1001)}).validate()
	assert.ErrorContains(t, err, `Name "bad name"`)
	assert.ErrorContains(t, err, `Allow[0] "*"`)
	assert.ErrorContains(t, err, `Deny[0] "iam"`)
	assert.ErrorContains(t, err, "1001 characters")
}

func TestTemplate(t *testing.T) {
	defer jsii.Close()
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	New(stack, "Boundary", &Props{Name: "b", Allow: []string{"s3:GetObject"}, Deny: []string{"iam:CreateRole"}})
	tpl := assertions.Template_FromStack(stack, nil)
	tpl.HasResourceProperties(jsii.String("AWS::IAM::ManagedPolicy"), map[string]any{
		"ManagedPolicyName": "b",
		"PolicyDocument": map[string]any{"Statement": []any{
			map[string]any{"Sid": AllowSid, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
			map[string]any{"Sid": DenySid, "Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*"},
		}},
	})
	// The policy is made under the given id, not inside a wrapper: its logical id is the
	// one a stack has always had for that id.
	ids := tpl.FindResources(jsii.String("AWS::IAM::ManagedPolicy"), nil)
	for id := range *ids {
		assert.True(t, strings.HasPrefix(id, "Boundary"), id)
		assert.Len(t, id, len("Boundary")+8, id)
	}
}
