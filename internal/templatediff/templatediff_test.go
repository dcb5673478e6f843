package templatediff

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tpl(t *testing.T, resources map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Resources": resources})
	require.NoError(t, err)
	return b
}

func res(typ string, props map[string]any, extra ...map[string]any) map[string]any {
	r := map[string]any{"Type": typ, "Properties": props}
	for _, e := range extra {
		for k, v := range e {
			r[k] = v
		}
	}
	return r
}

func path(p string) map[string]any {
	return map[string]any{"Metadata": map[string]any{"aws:cdk:path": p}}
}

func byID(d StackDiff) map[string]ResourceDiff {
	out := map[string]ResourceDiff{}
	for _, r := range d.Resources {
		out[r.LogicalID] = r
	}
	return out
}

// Added, removed, changed and replaced resources, with the replacement taken from the
// registry's create-only properties: a table's TableName always replaces it, its KeySchema
// may, its billing mode does not; a stateful replacement or removal is bold.
func TestDiffResources(t *testing.T) {
	old := tpl(t, map[string]any{
		"Notes":   res("AWS::DynamoDB::Table", map[string]any{"TableName": "notes", "BillingMode": "PAY_PER_REQUEST"}, path("dev/Data/Notes/Resource")),
		"Keys":    res("AWS::DynamoDB::Table", map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "pk", "KeyType": "HASH"}}}),
		"Billing": res("AWS::DynamoDB::Table", map[string]any{"BillingMode": "PROVISIONED"}),
		"Gone":    res("AWS::S3::Bucket", map[string]any{}, map[string]any{"DeletionPolicy": "Retain"}),
		"Topic":   res("AWS::SNS::Topic", map[string]any{"DisplayName": "a"}),
		"Same":    res("AWS::SNS::Topic", map[string]any{"DisplayName": "same"}),
	})
	nu := tpl(t, map[string]any{
		"Notes":   res("AWS::DynamoDB::Table", map[string]any{"TableName": "notes2", "BillingMode": "PAY_PER_REQUEST"}, path("dev/Data/Notes/Resource")),
		"Keys":    res("AWS::DynamoDB::Table", map[string]any{"KeySchema": []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}}}),
		"Billing": res("AWS::DynamoDB::Table", map[string]any{"BillingMode": "PAY_PER_REQUEST"}),
		"Topic":   res("AWS::SNS::Topic", map[string]any{"DisplayName": "b"}),
		"Same":    res("AWS::SNS::Topic", map[string]any{"DisplayName": "same"}),
		"New":     res("AWS::SNS::Topic", map[string]any{}),
	})
	d, err := Diff("notes-dev-data", old, nu)
	require.NoError(t, err)
	got := byID(d)
	assert.NotContains(t, got, "Same")
	assert.Equal(t, Replaced, got["Notes"].Change)
	assert.Equal(t, "Notes", got["Notes"].Path, "the construct path without stage, stack and Resource")
	assert.Equal(t, []Property{{Name: "TableName", Replaces: "always"}}, got["Notes"].Properties)
	assert.Equal(t, MayReplace, got["Keys"].Change)
	assert.Equal(t, Changed, got["Billing"].Change)
	assert.True(t, got["Billing"].Stateful)
	assert.Equal(t, Removed, got["Gone"].Change)
	assert.Equal(t, Changed, got["Topic"].Change)
	assert.False(t, got["Topic"].Stateful)
	assert.Equal(t, Added, got["New"].Change)
	assert.Equal(t, "1 added, 2 changed, 1 replaced, 1 may be replaced, 1 removed", d.Counts())

	md := d.Markdown()
	assert.Contains(t, md, "| ± | Notes | AWS::DynamoDB::Table | **replaced: TableName (replaces) (stateful: its data goes with it unless retained)** |")
	assert.Contains(t, md, "| ±? | Keys | AWS::DynamoDB::Table | **may be replaced: KeySchema (may replace) (stateful")
	assert.Contains(t, md, "| ~ | Billing | AWS::DynamoDB::Table | changed: BillingMode |", "a change in place is not bold")
	assert.Contains(t, md, "| - | Gone | AWS::S3::Bucket | **removed (stateful")
	assert.Len(t, d.StatefulReplacements(), 3)
}

// A change of type replaces; a type the vendored data does not know may replace; a
// custom resource's properties do not.
func TestDiffTypesAndUnknowns(t *testing.T) {
	d, err := Diff("s", tpl(t, map[string]any{
		"A": res("AWS::SNS::Topic", map[string]any{}),
		"B": res("AWS::Made::Up", map[string]any{"X": 1}),
		"C": res("Custom::Thing", map[string]any{"X": 1}),
	}), tpl(t, map[string]any{
		"A": res("AWS::SQS::Queue", map[string]any{}),
		"B": res("AWS::Made::Up", map[string]any{"X": 2}),
		"C": res("Custom::Thing", map[string]any{"X": 2}),
	}))
	require.NoError(t, err)
	got := byID(d)
	assert.Equal(t, Replaced, got["A"].Change)
	assert.True(t, got["A"].Stateful, "a queue holds messages")
	assert.Equal(t, MayReplace, got["B"].Change)
	assert.Equal(t, Changed, got["C"].Change)
}

// Nested create-only paths: only a change at or under the path replaces.
func TestCovers(t *testing.T) {
	p := []string{"/properties/A/B"}
	assert.True(t, covers(p, "/properties/A/B"))
	assert.True(t, covers(p, "/properties/A/B/C"))
	assert.True(t, covers(p, "/properties/A"), "the whole object holding it changed")
	assert.False(t, covers(p, "/properties/A/C"))
	assert.False(t, covers(p, "/properties/AB"))
}

// What widens access: a new Allow statement (reordering is no change, a Deny is not a
// grant), a managed policy, a trust policy principal, a Lambda permission, and new
// security-group rules, inline or as their own resources.
func TestBroadening(t *testing.T) {
	stmt := func(actions ...any) map[string]any {
		return map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}
	}
	doc := func(s ...any) map[string]any { return map[string]any{"Version": "2012-10-17", "Statement": s} }
	old := tpl(t, map[string]any{
		"Policy": res("AWS::IAM::Policy", map[string]any{"PolicyDocument": doc(stmt("s3:GetObject", "s3:ListBucket"))}),
		"Role":   res("AWS::IAM::Role", map[string]any{"AssumeRolePolicyDocument": doc(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}})}),
		"Sg":     res("AWS::EC2::SecurityGroup", map[string]any{"GroupDescription": "x", "SecurityGroupEgress": []any{map[string]any{"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp"}}}),
	})
	nu := tpl(t, map[string]any{
		"Policy": res("AWS::IAM::Policy", map[string]any{"PolicyDocument": doc(
			stmt("s3:ListBucket", "s3:GetObject"),
			map[string]any{"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
			map[string]any{"Sid": "New", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
		)}),
		"Role": res("AWS::IAM::Role", map[string]any{
			"AssumeRolePolicyDocument": doc(map[string]any{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": map[string]any{"AWS": "arn:aws:iam::222222222222:root"}}),
			"ManagedPolicyArns":        []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"},
		}),
		"Sg": res("AWS::EC2::SecurityGroup", map[string]any{"GroupDescription": "x", "SecurityGroupEgress": []any{
			map[string]any{"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp"}, map[string]any{"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"},
		}}),
		"In":   res("AWS::EC2::SecurityGroupIngress", map[string]any{"GroupId": "sg-1", "CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}),
		"Perm": res("AWS::Lambda::Permission", map[string]any{"Action": "lambda:InvokeFunction", "Principal": "*", "FunctionName": "f"}),
	})
	d, err := Diff("s", old, nu)
	require.NoError(t, err)
	var details []string
	for _, b := range d.Broadening {
		details = append(details, b.Kind+" "+b.Resource+" "+b.Detail)
	}
	text := strings.Join(details, "\n")
	assert.Len(t, d.Broadening, 6, text)
	assert.Contains(t, text, `iam Policy {"Action":"s3:PutObject","Effect":"Allow","Resource":"*"}`, "the Sid is not part of the grant")
	assert.NotContains(t, text, "s3:GetObject", "reordered actions are the same grant")
	assert.NotContains(t, text, "DeleteObject", "a Deny narrows")
	assert.Contains(t, text, `iam Role {"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"}}`)
	assert.Contains(t, text, `iam Role managed policy "arn:aws:iam::aws:policy/ReadOnlyAccess"`)
	assert.Contains(t, text, `security-group Sg egress {"CidrIp":"0.0.0.0/0","IpProtocol":"-1"}`)
	assert.Contains(t, text, `security-group In ingress`)
	assert.Contains(t, text, `iam Perm lambda permission`)
	assert.Contains(t, d.Markdown(), "**Broadens access** (IAM or security groups):")
}

// A stack that is not deployed yet: everything is added, and the report says so.
func TestNotDeployed(t *testing.T) {
	d, err := Diff("s", nil, tpl(t, map[string]any{"T": res("AWS::SNS::Topic", nil)}))
	require.NoError(t, err)
	assert.True(t, d.NotDeployed)
	assert.Equal(t, Added, d.Resources[0].Change)
	assert.Contains(t, d.Markdown(), "Not deployed yet")
	same, err := Diff("s", tpl(t, map[string]any{"T": res("AWS::SNS::Topic", nil)}), tpl(t, map[string]any{"T": res("AWS::SNS::Topic", nil)}))
	require.NoError(t, err)
	assert.Contains(t, same.Markdown(), "No change.")
}

// The vendored data says where it comes from and covers the stateful types.
func TestReplacementData(t *testing.T) {
	d := Replacement()
	assert.Contains(t, d.Source, "createOnlyProperties")
	assert.Equal(t, RegenerateCommand, d.Regenerate)
	assert.Contains(t, d.Types["AWS::DynamoDB::Table"].Always, "/properties/TableName")
	assert.Contains(t, d.Types["AWS::DynamoDB::Table"].Conditional, "/properties/KeySchema")
	assert.Contains(t, d.Types["AWS::S3::Bucket"].Always, "/properties/BucketName")
}
