package cfn

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tpl parses a template written as JSON, so fixtures read like the templates CDK writes.
func tpl(t *testing.T, s string) *Template {
	t.Helper()
	out, err := ParseTemplate([]byte(s))
	require.NoError(t, err)
	return out
}

// resolve resolves one stack's template with a new Resolver of the assembly's stacks.
func resolve(a *Assembly, s *Stack, opts *Options) (*Template, error) {
	return a.Resolver(opts).Template(s)
}

// resolved resolves one stack and returns its resources' properties by logical id.
func resolved(t *testing.T, a *Assembly, s *Stack) map[string]map[string]any {
	t.Helper()
	out, err := resolve(a, s, nil)
	require.NoError(t, err)
	props := map[string]map[string]any{}
	for id, r := range out.Resources {
		props[id] = r.Properties
	}
	return props
}

// A weak cross-stack reference resolves to the producing stack's output, resolved in that
// stack, through any number of stacks; the region picks the stack.
func TestGetStackOutputRecursive(t *testing.T) {
	base := &Stack{Name: "app-dev-base", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"LogKey": {"Type": "AWS::KMS::Key", "Properties": {}}},
		"Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["LogKey", "Arn"]}}}}`)}
	other := &Stack{Name: "app-dev-base", Account: "111111111111", Region: "us-east-1", Template: tpl(t, `{
		"Resources": {}, "Outputs": {"KeyArn": {"Value": "arn:aws:kms:us-east-1:111111111111:key/wrong-region"}}}`)}
	mid := &Stack{Name: "app-dev-data", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {},
		"Outputs": {"Forwarded": {"Value": {"Fn::GetStackOutput": {"StackName": "app-dev-base", "Region": "eu-west-1", "OutputName": "KeyArn"}}}}}`)}
	consumer := &Stack{Name: "app-dev-backend", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {
			"KmsKeyId": {"Fn::GetStackOutput": {"StackName": "app-dev-data", "Region": "eu-west-1", "OutputName": "Forwarded"}},
			"RetentionInDays": 30}}}}`)}
	a := &Assembly{Stacks: []*Stack{other, base, mid, consumer}}

	got := resolved(t, a, consumer)["Logs"]
	assert.Regexp(t, `^arn:aws:kms:eu-west-1:111111111111:key/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$`, got["KmsKeyId"])
	assert.Equal(t, 30.0, got["RetentionInDays"], "plain values are kept with their JSON type")

	// The same key seen from its own stack is the same ARN.
	baseOut, err := resolve(a, base, nil)
	require.NoError(t, err)
	assert.Equal(t, got["KmsKeyId"], baseOut.Outputs["KeyArn"].Value)
}

func TestGetStackOutputErrors(t *testing.T) {
	loopA := &Stack{Name: "a", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetStackOutput": {"StackName": "b", "OutputName": "O"}}}}},
		"Outputs": {"O": {"Value": {"Fn::GetStackOutput": {"StackName": "b", "OutputName": "O"}}}}}`)}
	loopB := &Stack{Name: "b", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {}, "Outputs": {"O": {"Value": {"Fn::GetStackOutput": {"StackName": "a", "OutputName": "O"}}}}}`)}
	a := &Assembly{Stacks: []*Stack{loopA, loopB}}
	_, err := resolve(a, loopA, nil)
	assert.ErrorContains(t, err, "refers back to itself")

	missing := &Stack{Name: "c", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetStackOutput": {"StackName": "nope", "OutputName": "O"}}}}}}`)}
	_, err = resolve((&Assembly{Stacks: []*Stack{missing}}), missing, nil)
	assert.ErrorContains(t, err, "no stack nope in eu-west-1")

	noOutput := &Stack{Name: "d", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"R": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::GetStackOutput": {"StackName": "b", "OutputName": "Missing"}}}}}}`)}
	_, err = resolve((&Assembly{Stacks: []*Stack{noOutput, loopB}}), noOutput, nil)
	assert.ErrorContains(t, err, "stack b has no output Missing")
}

// Ref and Fn::GetAtt give values in the format AWS documents for each type: names where
// Ref returns a name, ARNs where it returns an ARN, and the name property when set.
func TestPlaceholders(t *testing.T) {
	s := &Stack{Name: "notes-dev-frontend", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {
			"SiteBucketWithAVeryLongLogicalIdThatCloudFormationMustTruncate1234": {"Type": "AWS::S3::Bucket", "Properties": {}},
			"Named": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Join": ["-", ["named", {"Ref": "AWS::AccountId"}]]}}},
			"Boundary": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"ManagedPolicyName": "notes-dev-permissions-boundary"}},
			"Role": {"Type": "AWS::IAM::Role", "Properties": {}},
			"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
			"Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {}},
			"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
			"Unknown": {"Type": "AWS::Some::Thing", "Properties": {}},
			"Custom": {"Type": "Custom::Anything", "Properties": {}},
			"Uses": {"Type": "AWS::SSM::Parameter", "Properties": {
				"Bucket": {"Ref": "SiteBucketWithAVeryLongLogicalIdThatCloudFormationMustTruncate1234"},
				"BucketArn": {"Fn::GetAtt": ["Named", "Arn"]},
				"Domain": {"Fn::GetAtt": "Named.RegionalDomainName"},
				"Policy": {"Ref": "Boundary"},
				"RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
				"TopicRef": {"Ref": "Topic"},
				"PoolArn": {"Fn::GetAtt": ["Pool", "Arn"]},
				"PoolId": {"Ref": "Pool"},
				"Cidr": {"Fn::GetAtt": ["Vpc", "CidrBlock"]},
				"Sg": {"Fn::GetAtt": ["Vpc", "DefaultSecurityGroup"]},
				"UnknownArn": {"Fn::GetAtt": ["Unknown", "Arn"]},
				"CustomAttr": {"Fn::GetAtt": ["Custom", "Whatever"]}
			}}}}`)}
	a := &Assembly{Stacks: []*Stack{s}}
	got := resolved(t, a, s)["Uses"]
	bucket := got["Bucket"].(string)
	assert.Regexp(t, `^notes-dev-frontend-sitebucket[a-z0-9-]*-[a-z0-9]{13}$`, bucket)
	assert.LessOrEqual(t, len(bucket), 63, "S3 bucket names have at most 63 characters")
	assert.Equal(t, "arn:aws:s3:::named-111111111111", got["BucketArn"])
	assert.Equal(t, "named-111111111111.s3.eu-west-1.amazonaws.com", got["Domain"])
	assert.Equal(t, "arn:aws:iam::111111111111:policy/notes-dev-permissions-boundary", got["Policy"], "Ref of a managed policy is its ARN")
	assert.Regexp(t, `^arn:aws:iam::111111111111:role/notes-dev-frontend-Role-[A-Z0-9]{13}$`, got["RoleArn"])
	assert.Regexp(t, `^arn:aws:sns:eu-west-1:111111111111:notes-dev-frontend-Topic-[A-Z0-9]{13}$`, got["TopicRef"], "Ref of a topic is its ARN")
	assert.Regexp(t, `^eu-west-1_[A-Za-z0-9]{9}$`, got["PoolId"])
	assert.Equal(t, "arn:aws:cognito-idp:eu-west-1:111111111111:userpool/"+got["PoolId"].(string), got["PoolArn"])
	assert.Equal(t, "10.0.0.0/16", got["Cidr"], "attributes that echo a property read it")
	assert.Regexp(t, `^sg-[0-9a-f]{17}$`, got["Sg"])
	assert.Regexp(t, `^arn:aws:some:eu-west-1:111111111111:thing/notes-dev-frontend-Unknown-[A-Z0-9]{13}$`, got["UnknownArn"])
	assert.Regexp(t, `^Whatever-[a-z0-9]{13}$`, got["CustomAttr"])

	again := resolved(t, a, s)["Uses"]
	assert.Equal(t, got, again, "placeholders are the same on every run")
}

func TestUnknownAttributeFails(t *testing.T) {
	s := &Stack{Name: "x", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}},
			"Alias": {"Type": "AWS::KMS::Alias", "Properties": {"TargetKeyId": {"Fn::GetAtt": ["Key", "NoSuchAttribute"]}}}}}`)}
	_, err := resolve((&Assembly{Stacks: []*Stack{s}}), s, nil)
	assert.ErrorContains(t, err, "no placeholder for attribute NoSuchAttribute of Key (AWS::KMS::Key)")
}

// The string functions, conditions and AWS::NoValue behave as CloudFormation's do.
func TestIntrinsicFunctions(t *testing.T) {
	s := &Stack{Name: "fns", Account: "111111111111", Region: "eu-central-1", Template: tpl(t, `{
		"Parameters": {"Env": {"Type": "String", "Default": "prod"}, "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"}},
		"Mappings": {"Sizes": {"prod": {"Memory": 1024}}},
		"Conditions": {
			"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
			"IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
			"Both": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Or": [{"Condition": "IsDev"}, true]}]}},
		"Resources": {
			"Key": {"Type": "AWS::KMS::Key", "Properties": {}},
			"DevOnly": {"Type": "AWS::SNS::Topic", "Condition": "IsDev", "Properties": {}},
			"Out": {"Type": "AWS::SSM::Parameter", "Properties": {
				"Joined": {"Fn::Join": [":", ["a", 1, true]]},
				"Sub": {"Fn::Sub": "${AWS::Region}/${Env}/${Key.Arn}/${!Literal}"},
				"SubVars": {"Fn::Sub": ["${X}-${AWS::AccountId}", {"X": {"Ref": "Env"}}]},
				"Selected": {"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]},
				"Zone": {"Fn::Select": ["0", {"Fn::GetAZs": ""}]},
				"List": {"Ref": "Zones"},
				"Memory": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]},
				"If": {"Fn::If": ["IsDev", {"Ref": "DevOnly"}, "not-dev"]},
				"Gone": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "kept"]},
				"Items": ["a", {"Ref": "AWS::NoValue"}, "b"],
				"Both": {"Fn::If": ["Both", "yes", "no"]},
				"B64": {"Fn::Base64": "hi"},
				"Partition": {"Fn::Sub": "${AWS::Partition}.${AWS::URLSuffix}"}
			}}}}`)}
	a := &Assembly{Stacks: []*Stack{s}}
	out, err := resolve(a, s, nil)
	require.NoError(t, err)
	assert.NotContains(t, out.Resources, "DevOnly", "a resource whose condition is false is not created")
	assert.Nil(t, out.Conditions)
	got := out.Resources["Out"].Properties
	key := resolved(t, a, s)["Out"]["Sub"].(string)
	assert.Regexp(t, `^eu-central-1/prod/arn:aws:kms:eu-central-1:111111111111:key/[0-9a-f-]{36}/\$\{Literal\}$`, key)
	assert.Equal(t, "a:1:true", got["Joined"])
	assert.Equal(t, "prod-111111111111", got["SubVars"])
	assert.Equal(t, "y", got["Selected"])
	assert.Equal(t, "eu-central-1a", got["Zone"])
	assert.Equal(t, []any{"a", "b"}, got["List"])
	assert.Equal(t, 1024.0, got["Memory"])
	assert.Equal(t, "not-dev", got["If"], "the branch not taken may name a resource that is not created")
	assert.NotContains(t, got, "Gone", "AWS::NoValue removes the property")
	assert.Equal(t, []any{"a", "b"}, got["Items"], "AWS::NoValue removes a list element")
	assert.Equal(t, "yes", got["Both"])
	assert.Equal(t, "aGk=", got["B64"])
	assert.Equal(t, "aws.amazonaws.com", got["Partition"])
}

func TestParametersAndSSM(t *testing.T) {
	s := &Stack{Name: "p", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"},
			"Required": {"Type": "String"}},
		"Rules": {"CheckBootstrapVersion": {"Assertions": [{"Assert": {"Fn::Not": [{"Fn::Contains": [["1"], {"Ref": "BootstrapVersion"}]}]}}]}},
		"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Ref": "BootstrapVersion"}}}}}`)}
	a := &Assembly{Stacks: []*Stack{s}}
	_, err := resolve(a, s, nil)
	assert.ErrorContains(t, err, `parameter BootstrapVersion reads SSM parameter "/cdk-bootstrap/hnb659fds/version": give its value in Options.SSMParameters`)

	out, err := resolve(a, s, &Options{SSMParameters: map[string]string{"/cdk-bootstrap/hnb659fds/version": "30"}})
	require.NoError(t, err, "the Rules section is dropped, not resolved: hooks never see it")
	assert.Equal(t, "30", out.Resources["P"].Properties["Value"])
	assert.Nil(t, out.Rules)

	s.Template.Resources["Q"] = Resource{Type: "AWS::SSM::Parameter", Properties: map[string]any{"Value": map[string]any{"Ref": "Required"}}}
	_, err = resolve(a, s, &Options{SSMParameters: map[string]string{"/cdk-bootstrap/hnb659fds/version": "30"}})
	assert.ErrorContains(t, err, "parameter Required has no default")
	out, err = resolve(a, s, &Options{SSMParameters: map[string]string{"/cdk-bootstrap/hnb659fds/version": "30"}, Parameters: map[string]any{"Required": "given"}})
	require.NoError(t, err)
	assert.Equal(t, "given", out.Resources["Q"].Properties["Value"])
}

func TestUnsupportedFunctionFails(t *testing.T) {
	s := &Stack{Name: "u", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Fn::Cidr": ["10.0.0.0/16", 2, 8]}}}}}`)}
	_, err := resolve((&Assembly{Stacks: []*Stack{s}}), s, nil)
	assert.ErrorContains(t, err, "intrinsic function Fn::Cidr is not supported")
	assert.ErrorContains(t, err, "u Resources/P/Properties/Value/Fn::Cidr", "the error names the stack and where in the template")

	bad := &Stack{Name: "r", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Ref": "Nothing"}}}}}`)}
	_, err = resolve((&Assembly{Stacks: []*Stack{bad}}), bad, nil)
	assert.ErrorContains(t, err, `Ref "Nothing" names no parameter, resource or pseudo parameter`)
}

// Metadata (where guard suppressions live), DependsOn and deletion policies are copied as
// they are; only properties and outputs are resolved.
func TestMetadataIsKept(t *testing.T) {
	s := &Stack{Name: "m", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "DependsOn": ["K"],
			"Metadata": {"guard": {"SuppressedRules": ["CT.S3.PR.2"]}, "Ref": {"Ref": "K"}},
			"Properties": {"Tags": [{"Key": "k", "Value": {"Ref": "K"}}]}},
			"K": {"Type": "AWS::KMS::Key", "Properties": {}}}}`)}
	out, err := resolve((&Assembly{Stacks: []*Stack{s}}), s, nil)
	require.NoError(t, err)
	b := out.Resources["B"]
	assert.Equal(t, map[string]any{"guard": map[string]any{"SuppressedRules": []any{"CT.S3.PR.2"}}, "Ref": map[string]any{"Ref": "K"}}, b.Metadata)
	assert.Equal(t, "Retain", b.DeletionPolicy)
	assert.Equal(t, Names{"K"}, b.DependsOn)
	assert.Regexp(t, `^[0-9a-f-]{36}$`, b.Properties["Tags"].([]any)[0].(map[string]any)["Value"])
}

func TestImportValue(t *testing.T) {
	exporter := &Stack{Name: "e", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alarms"}}},
		"Outputs": {"TopicArn": {"Value": {"Ref": "T"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-topic"}}}}}`)}
	importer := &Stack{Name: "i", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"S": {"Type": "AWS::SNS::Subscription", "Properties": {"TopicArn": {"Fn::ImportValue": "e-topic"}}}}}`)}
	a := &Assembly{Stacks: []*Stack{exporter, importer}}
	assert.Equal(t, "arn:aws:sns:eu-west-1:111111111111:alarms", resolved(t, a, importer)["S"]["TopicArn"])
}

// Read finds the stacks of nested assemblies (one per CDK stage), with their names,
// construct paths and environments, and the resolver finds producers among them by name
// and region; a stack whose name is its artifact id has no stackName in the manifest. An
// environment-agnostic stack cannot be resolved.
func TestReadThenResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644))
	}
	write("manifest.json", `{"version": "55.0.0", "artifacts": {
		"notes-pipeline": {"type": "aws:cloudformation:stack", "environment": "aws://333333333333/eu-west-1",
			"properties": {"templateFile": "notes-pipeline.template.json"}},
		"assembly-dev": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-dev", "displayName": "dev"}},
		"Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}}`)
	write("notes-pipeline.template.json", `{"Resources": {}, "Outputs": {"Name": {"Value": {"Ref": "AWS::StackName"}}}}`)
	write("assembly-dev/manifest.json", `{"version": "55.0.0", "artifacts": {
		"devBase4C0BD46D": {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/eu-west-1", "displayName": "dev/Base",
			"properties": {"templateFile": "devBase4C0BD46D.template.json", "stackName": "notes-dev-base"}}}}`)
	write("assembly-dev/devBase4C0BD46D.template.json", `{"Resources": {"K": {"Type": "AWS::KMS::Key"}, "P": {"Type": "AWS::SSM::Parameter", "Properties": {
		"Value": {"Fn::GetStackOutput": {"StackName": "notes-pipeline", "Region": "eu-west-1", "OutputName": "Name"}}}}},
		"Outputs": {"Wrong": {"Value": {"Fn::GetStackOutput": {"StackName": "notes-dev-base", "Region": "us-east-1", "OutputName": "Name"}}}}}`)

	a, err := Read(dir)
	require.NoError(t, err)
	require.Len(t, a.Stacks, 2)
	base := a.StackAt("dev/Base")
	require.NotNil(t, base)
	assert.Equal(t, "notes-dev-base", base.Name)
	assert.Equal(t, "111111111111", base.Account)
	assert.Contains(t, base.Template.Resources, "K")
	p := a.StackAt("notes-pipeline")
	require.NotNil(t, p, "the display name defaults to the artifact id")
	assert.Equal(t, "notes-pipeline", p.Name, "the stack name defaults to the artifact id")
	r := a.Resolver(nil)
	got, err := r.Value(base, base.Template.Resources["P"].Properties["Value"])
	require.NoError(t, err)
	assert.Equal(t, "notes-pipeline", got, "the producer is found by stack name and region")
	_, err = r.Value(base, base.Template.Outputs["Wrong"].Value)
	assert.ErrorContains(t, err, "no stack notes-dev-base in us-east-1")

	write("assembly-dev/manifest.json", `{"artifacts": {"x": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
		"properties": {"templateFile": "devBase4C0BD46D.template.json"}}}}`)
	a, err = Read(dir)
	require.NoError(t, err)
	agnostic := a.StackAt("x")
	assert.Empty(t, agnostic.Account+agnostic.Region, "an unknown account or region is no environment")
	_, err = resolve(a, agnostic, nil)
	assert.ErrorContains(t, err, "environment-agnostic stacks cannot be resolved")
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$`)

func TestGeneratedIdentifiers(t *testing.T) {
	g := newGen("stack", "Id")
	assert.Regexp(t, uuidPattern, g.uuid())
	assert.Regexp(t, `^[0-9a-f]{17}$`, g.format("hex17"))
	assert.Regexp(t, `^[a-z0-9]{10}$`, g.format("lower10"))
	assert.Regexp(t, `^[A-Z0-9]{13}$`, g.format("UPPER13"))
	assert.Regexp(t, `^[A-Za-z0-9]{9}$`, g.format("Alnum9"))
	assert.NotEqual(t, g.uuid(), newGen("stack", "Other").uuid())
	assert.Equal(t, "aws-cn", Partition("cn-north-1"))
	assert.Equal(t, "aws-us-gov", Partition("us-gov-west-1"))
	assert.Equal(t, "amazonaws.com.cn", URLSuffix("cn-north-1"))
}

// A nested stack's parameter takes the value its parent's AWS::CloudFormation::Stack
// resource passes, resolved in the parent (a Ref to the parent's API is the API's id there),
// else its default; a parameter with neither is an error naming the parent resource.
func TestNestedStackParameters(t *testing.T) {
	parent := &Stack{Name: "notes-dev-backend", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {
			"Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "notes-dev"}},
			"Routes3": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://example/t.json",
				"Parameters": {"ApiId": {"Ref": "Api"}, "Root": {"Fn::GetAtt": ["Api", "RootResourceId"]}}}}}}`)}
	nested := &Stack{Name: "notes-dev-backend-Routes3", Account: "111111111111", Region: "eu-west-1", Parent: parent, ParentID: "Routes3",
		Template: tpl(t, `{
		"Parameters": {"ApiId": {"Type": "String"}, "Root": {"Type": "String"}, "Stage": {"Type": "String", "Default": "prod"}},
		"Resources": {"Path": {"Type": "AWS::ApiGateway::Resource", "Properties": {
			"RestApiId": {"Ref": "ApiId"}, "ParentId": {"Ref": "Root"}, "PathPart": {"Ref": "Stage"}}}}}`)}
	a := &Assembly{Stacks: []*Stack{parent, nested}}

	got := resolved(t, a, nested)["Path"]
	parentOut, err := resolve(a, parent, nil)
	require.NoError(t, err)
	passed := parentOut.Resources["Routes3"].Properties["Parameters"].(map[string]any)
	assert.Equal(t, passed["ApiId"], got["RestApiId"], "the parent's Ref, resolved in the parent")
	assert.Regexp(t, `^[a-z0-9]{10}$`, got["RestApiId"])
	assert.Equal(t, passed["Root"], got["ParentId"])
	assert.NotEqual(t, got["RestApiId"], got["ParentId"])
	assert.Equal(t, "prod", got["PathPart"], "a parameter the parent does not pass keeps its default")

	stage := nested.Template.Parameters["Stage"]
	stage.Default = nil
	nested.Template.Parameters["Stage"] = stage
	_, err = resolve(a, nested, nil)
	assert.ErrorContains(t, err, "notes-dev-backend/Routes3 passes no value")
}

// Each intrinsic resolves to the same physical ids everywhere, across stacks too: the
// artifact harness resolves the functions' environment and their IAM policies with one
// Resolver, so the ARNs the functions call are the ARNs their policies name. Anything
// unknown is an error that names it.
func TestResolverIntrinsics(t *testing.T) {
	data := &Stack{Name: "app-dev-data", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {"Table1": {"Type": "AWS::DynamoDB::Table", "Properties": {}}},
		"Outputs": {"TableRef": {"Value": {"Ref": "Table1"}}, "TableArn": {"Value": {"Fn::GetAtt": ["Table1", "Arn"]}}}}`)}
	s := &Stack{Name: "app-dev-backend", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {
			"Secret1": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
			"Named": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "cursor"}},
			"Role1": {"Type": "AWS::IAM::Role", "Properties": {}},
			"Bucket1": {"Type": "AWS::S3::Bucket", "Properties": {}}}}`)}
	r := NewResolver([]*Stack{data, s}, nil)
	tableRef := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "app-dev-data", "Region": "eu-west-1", "OutputName": "TableRef"}}
	tableArn := map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "app-dev-data", "Region": "eu-west-1", "OutputName": "TableArn"}}
	name, err := r.String(s, tableRef)
	require.NoError(t, err)
	assert.Regexp(t, `^app-dev-data-Table1-[A-Z0-9]{13}$`, name, "<stack>-<logical id>-<suffix>, as CloudFormation names it")
	mustRef := func(id string) string {
		t.Helper()
		v, err := r.Ref(s, id)
		require.NoError(t, err)
		return v
	}
	cases := []struct {
		in   any
		want string
	}{
		{tableArn, "arn:aws:dynamodb:eu-west-1:111111111111:table/" + name},
		{map[string]any{"Fn::Join": []any{"/", []any{"a", map[string]any{"Ref": "AWS::Region"}, map[string]any{"Ref": "AWS::AccountId"}}}}, "a/eu-west-1/111111111111"},
		{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket1}/*"}, "arn:aws:s3:::" + mustRef("Bucket1") + "/*"},
		{map[string]any{"Fn::Sub": []any{"${X}-${!Literal}", map[string]any{"X": map[string]any{"Ref": "AWS::StackName"}}}}, "app-dev-backend-${Literal}"},
		{map[string]any{"Fn::Select": []any{"1", map[string]any{"Fn::Split": []any{",", "a,b,c"}}}}, "b"},
		{map[string]any{"Fn::GetAtt": []any{"Role1", "Arn"}}, "arn:aws:iam::111111111111:role/" + mustRef("Role1")},
		{map[string]any{"Ref": "Named"}, "arn:aws:secretsmanager:eu-west-1:111111111111:secret:cursor-" + newGen("app-dev-backend", "Named").format("Alnum6")},
	}
	for _, c := range cases {
		got, err := r.String(s, c.in)
		assert.NoError(t, err, "%v", c.in)
		assert.Equal(t, c.want, got, "%v", c.in)
	}
	arn := mustRef("Secret1")
	assert.Regexp(t, `^arn:aws:secretsmanager:eu-west-1:111111111111:secret:app-dev-backend-Secret1-[A-Z0-9]{13}-[A-Za-z0-9]{6}$`, arn, "shaped like Secrets Manager's")
	assert.Equal(t, arn, mustRef("Secret1"), "the same resource resolves to the same id")
	again, err := NewResolver([]*Stack{data, s}, nil).Ref(s, "Secret1")
	require.NoError(t, err)
	assert.Equal(t, arn, again, "another Resolver gives the same id")
	for _, bad := range []any{
		map[string]any{"Fn::ImportValue": "x"},
		map[string]any{"Ref": "Missing"},
		map[string]any{"Fn::GetAtt": []any{"Bucket1", "NoSuchAttribute"}},
		map[string]any{"Fn::GetStackOutput": map[string]any{"StackName": "other", "OutputName": "X"}},
		map[string]any{"Fn::Cidr": []any{"10.0.0.0/16", 2, 8}},
	} {
		_, err := r.String(s, bad)
		assert.Error(t, err, "%v resolved without error: the resolver must not guess", bad)
	}
	v, err := r.Value(s, map[string]any{"A": "x", "B": map[string]any{"Ref": "AWS::NoValue"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"A": "x"}, v, "AWS::NoValue removes the property")
}

// A function's versions and aliases resolve to qualified ARNs of its generated name; the
// version is LambdaVersion everywhere (what the pre-traffic hook is asked to check). A
// role's ARN carries its path.
func TestLambdaVersionsAndRolePaths(t *testing.T) {
	s := &Stack{Name: "app-dev-backend", Account: "111111111111", Region: "eu-west-1", Template: tpl(t, `{
		"Resources": {
			"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
			"Version": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
			"Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Fn"}, "Name": "live",
				"FunctionVersion": {"Fn::GetAtt": ["Version", "Version"]}}},
			"Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": "/service-role/"}}}}`)}
	r := NewResolver([]*Stack{s}, nil)
	fn, err := r.Ref(s, "Fn")
	require.NoError(t, err)
	assert.Regexp(t, `^app-dev-backend-Fn-[A-Z0-9]{13}$`, fn)
	fnArn := "arn:aws:lambda:eu-west-1:111111111111:function:" + fn
	for expr, want := range map[string]string{
		"Ref Version":                fnArn + ":" + LambdaVersion,
		"GetAtt Version.Version":     LambdaVersion,
		"GetAtt Version.FunctionArn": fnArn + ":" + LambdaVersion,
		"Ref Live":                   fnArn + ":live",
		"GetAtt Live.AliasArn":       fnArn + ":live",
		"GetAtt Fn.Arn":              fnArn,
	} {
		var got string
		if id, attr, isAtt := strings.Cut(strings.TrimPrefix(expr, "GetAtt "), "."); isAtt {
			got, err = r.GetAtt(s, id, attr)
		} else {
			got, err = r.Ref(s, strings.TrimPrefix(expr, "Ref "))
		}
		assert.NoError(t, err, expr)
		assert.Equal(t, want, got, expr)
	}
	version, err := r.String(s, s.Template.Resources["Live"].Properties["FunctionVersion"])
	require.NoError(t, err)
	assert.Equal(t, "2", version, "the alias is on version 2")
	role, err := r.GetAtt(s, "Role", "Arn")
	require.NoError(t, err)
	assert.Regexp(t, `^arn:aws:iam::111111111111:role/service-role/app-dev-backend-Role-[A-Z0-9]{13}$`, role)
}

// An estimate (the quota check) errs on the large side where the exact resolver would
// fail: generated names have at least the usual maximum length (within the type's
// limit), values nobody knows before the deploy are long placeholders, and an
// environment-agnostic stack is in a default environment.
func TestEstimate(t *testing.T) {
	s := &Stack{Name: "app-dev-backend", Template: tpl(t, `{
		"Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}},
		"Resources": {
			"Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
			"Site": {"Type": "AWS::S3::Bucket", "Properties": {}},
			"Named": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "notes"}},
			"FnApiPermissionnotesdevbackendApiGETnotesidPUTnotesidDELETEnotesid1A2B3C4D": {"Type": "AWS::Lambda::Permission", "Properties": {}}}}`)}
	exact := NewResolver([]*Stack{s}, nil)
	_, err := exact.Ref(s, "Fn")
	assert.ErrorContains(t, err, "environment-agnostic stacks cannot be resolved, only estimated")

	r := NewResolver([]*Stack{s}, &Options{Estimate: true})
	str := func(v any) string {
		t.Helper()
		out, err := r.String(s, v)
		require.NoError(t, err, "an estimate does not fail on %v", v)
		return out
	}
	ref := func(name string) string { return str(map[string]any{"Ref": name}) }
	assert.Equal(t, EstimateAccount+" "+EstimateRegion, ref("AWS::AccountId")+" "+ref("AWS::Region"))
	fn := ref("Fn")
	assert.Len(t, fn, EstimateLength, "a generated function name at its usual maximum")
	assert.Regexp(t, `^app-dev-backend-Fn-[A-Z0-9]+$`, fn)
	site := ref("Site")
	assert.Len(t, site, 63, "within the type's own limit")
	assert.Regexp(t, `^app-dev-backend-site-[a-z0-9]+$`, site)
	assert.Equal(t, "notes", ref("Named"), "a name the template sets is the name")
	perm := ref("FnApiPermissionnotesdevbackendApiGETnotesidPUTnotesidDELETEnotesid1A2B3C4D")
	assert.Greater(t, len(perm), EstimateLength, "a longer generated name is not cut to the usual length")
	assert.LessOrEqual(t, len(perm), 100)

	long := strings.Repeat("x", EstimateLength)
	assert.Equal(t, long, ref("BootstrapVersion"), "an SSM parameter's value")
	assert.Equal(t, long, str(map[string]any{"Fn::GetAtt": []any{"Named", "NoSuchAttribute"}}))
	assert.Equal(t, "a-"+long, str(map[string]any{"Fn::Join": []any{"-", []any{"a", map[string]any{"Fn::Cidr": []any{"10.0.0.0/16", 2, 8}}}}}),
		"only the part that cannot be resolved is a placeholder")
	assert.Equal(t, "arn:aws:dynamodb:"+EstimateRegion+":"+EstimateAccount+":table/notes", str(map[string]any{"Fn::GetAtt": []any{"Named", "Arn"}}))
}
