package driftcheck

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/stacks"
)

// fakeResource is one resource's drift as CloudFormation reports it.
type fakeResource struct {
	LogicalID, Type, PhysicalID, Status, Reason string
	// Diffs are property path, difference type, expected, actual.
	Diffs [][4]string
}

// fakeStack is a deployed stack of the fake.
type fakeStack struct {
	Resources []fakeResource
	// Polls is how many status requests answer DETECTION_IN_PROGRESS first; -1: forever.
	Polls int
	// Failed makes the detection end DETECTION_FAILED with this reason.
	Failed string
}

// fakeAWS answers STS AssumeRole and the CloudFormation drift API (AWS query protocol) for
// the stacks it holds, and records each call with the access key that signed it.
type fakeAWS struct {
	mu       sync.Mutex
	stacks   map[string]*fakeStack
	pageSize int
	assumed  []string
	calls    []string // "<Action> <stack or detection id> <access key>"
	polls    map[string]int
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const cfnNS = `xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"`

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	key := ""
	if auth := r.Header.Get("Authorization"); strings.Contains(auth, "Credential=") {
		key, _, _ = strings.Cut(auth[strings.Index(auth, "Credential=")+len("Credential="):], "/")
	}
	w.Header().Set("Content-Type", "text/xml")
	fail := func(code, msg string) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>9</RequestId></ErrorResponse>`, cfnNS, code, esc(msg))
	}
	action := form.Get("Action")
	switch action {
	case "AssumeRole":
		f.assumed = append(f.assumed, form.Get("RoleArn")+" "+form.Get("RoleSessionName"))
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIALOOKUP</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><AssumedRoleId>AROA:drift-check</AssumedRoleId><Arn>arn:aws:sts::111111111111:assumed-role/lookup/drift-check</Arn></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case "DetectStackDrift":
		name := form.Get("StackName")
		f.calls = append(f.calls, action+" "+name+" "+key)
		if _, ok := f.stacks[name]; !ok {
			fail("ValidationError", "Stack with id "+name+" does not exist")
			return
		}
		fmt.Fprintf(w, `<DetectStackDriftResponse %s><DetectStackDriftResult><StackDriftDetectionId>detection-%s</StackDriftDetectionId></DetectStackDriftResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></DetectStackDriftResponse>`, cfnNS, name)
	case "DescribeStackDriftDetectionStatus":
		id := form.Get("StackDriftDetectionId")
		f.calls = append(f.calls, action+" "+id+" "+key)
		name := strings.TrimPrefix(id, "detection-")
		st, ok := f.stacks[name]
		if !ok {
			fail("ValidationError", "unknown detection "+id)
			return
		}
		f.polls[name]++
		status, stackStatus, reason := "DETECTION_COMPLETE", "IN_SYNC", ""
		drifted := 0
		for _, res := range st.Resources {
			if res.Status == "MODIFIED" || res.Status == "DELETED" {
				drifted++
				stackStatus = "DRIFTED"
			}
		}
		switch {
		case st.Polls < 0 || f.polls[name] <= st.Polls:
			status, stackStatus = "DETECTION_IN_PROGRESS", ""
		case st.Failed != "":
			status, reason = "DETECTION_FAILED", "<DetectionStatusReason>"+esc(st.Failed)+"</DetectionStatusReason>"
		}
		fmt.Fprintf(w, `<DescribeStackDriftDetectionStatusResponse %s><DescribeStackDriftDetectionStatusResult>
<StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/%s/1</StackId><StackDriftDetectionId>%s</StackDriftDetectionId>
<StackDriftStatus>%s</StackDriftStatus><DetectionStatus>%s</DetectionStatus>%s<DriftedStackResourceCount>%d</DriftedStackResourceCount>
<Timestamp>2026-01-01T00:00:00Z</Timestamp></DescribeStackDriftDetectionStatusResult><ResponseMetadata><RequestId>3</RequestId></ResponseMetadata></DescribeStackDriftDetectionStatusResponse>`,
			cfnNS, name, id, stackStatus, status, reason, drifted)
	case "DescribeStackResourceDrifts":
		name := form.Get("StackName")
		f.calls = append(f.calls, action+" "+name+" "+key)
		st, ok := f.stacks[name]
		if !ok {
			fail("ValidationError", "Stack with id "+name+" does not exist")
			return
		}
		start, _ := strconv.Atoi(form.Get("NextToken"))
		end := min(start+f.pageSize, len(st.Resources))
		var b strings.Builder
		for _, res := range st.Resources[start:end] {
			fmt.Fprintf(&b, `<member><StackId>arn:aws:cloudformation:eu-west-1:111111111111:stack/%s/1</StackId><LogicalResourceId>%s</LogicalResourceId><PhysicalResourceId>%s</PhysicalResourceId><ResourceType>%s</ResourceType><StackResourceDriftStatus>%s</StackResourceDriftStatus><Timestamp>2026-01-01T00:00:00Z</Timestamp>`,
				name, esc(res.LogicalID), esc(res.PhysicalID), esc(res.Type), res.Status)
			if res.Reason != "" {
				fmt.Fprintf(&b, `<DriftStatusReason>%s</DriftStatusReason>`, esc(res.Reason))
			}
			if len(res.Diffs) > 0 {
				b.WriteString("<PropertyDifferences>")
				for _, d := range res.Diffs {
					fmt.Fprintf(&b, `<member><PropertyPath>%s</PropertyPath><DifferenceType>%s</DifferenceType><ExpectedValue>%s</ExpectedValue><ActualValue>%s</ActualValue></member>`,
						esc(d[0]), d[1], esc(d[2]), esc(d[3]))
				}
				b.WriteString("</PropertyDifferences>")
			}
			b.WriteString("</member>")
		}
		next := ""
		if end < len(st.Resources) {
			next = "<NextToken>" + strconv.Itoa(end) + "</NextToken>"
		}
		fmt.Fprintf(w, `<DescribeStackResourceDriftsResponse %s><DescribeStackResourceDriftsResult><StackResourceDrifts>%s</StackResourceDrifts>%s</DescribeStackResourceDriftsResult><ResponseMetadata><RequestId>4</RequestId></ResponseMetadata></DescribeStackResourceDriftsResponse>`,
			cfnNS, b.String(), next)
	default:
		fail("InvalidAction", action)
	}
}

// fake starts the fake with these stacks and returns it with clients that reach it.
func fake(t *testing.T, stacks map[string]*fakeStack) (*fakeAWS, clients) {
	t.Helper()
	f := &fakeAWS{stacks: stacks, pageSize: 3, polls: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, awsClients{endpoint: srv.URL, load: func(_ context.Context, region string) (aws.Config, error) {
		return aws.Config{
			Region: region, Credentials: credentials.NewStaticCredentialsProvider("AKIAPIPELINE", "s", ""), RetryMaxAttempts: 1,
			HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		}, nil
	}}
}

func check(t *testing.T, cl clients, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"--interval", "1ms"}, args...), &out, &errOut, cl)
	return code, out.String(), errOut.String()
}

const lookupRole = "arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1"

func inSync() []fakeResource {
	return []fakeResource{
		{LogicalID: "LogKey", Type: "AWS::KMS::Key", PhysicalID: "k-1", Status: "IN_SYNC"},
		{LogicalID: "Vpc", Type: "AWS::EC2::VPC", PhysicalID: "vpc-1", Status: "IN_SYNC"},
	}
}

// Nothing drifted: every resource is listed, the check passes, and CloudFormation is
// called only with the assumed role's credentials.
func TestNoDrift(t *testing.T) {
	f, cl := fake(t, map[string]*fakeStack{
		"notes-dev-base": {Resources: inSync(), Polls: 2},
		"notes-dev-data": {Resources: []fakeResource{{LogicalID: "Table", Type: "AWS::DynamoDB::Table", PhysicalID: "notes-dev-data-Table", Status: "IN_SYNC"}}},
	})
	code, out, errOut := check(t, cl, "--region", "eu-west-1", "--role", lookupRole, "--stack", "notes-dev-base", "--stack", "notes-dev-data", "--fail-on-drift")
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "drift check of notes-dev-base, notes-dev-data in eu-west-1, as "+lookupRole)
	assert.Contains(t, out, "notes-dev-base: IN_SYNC (0 of 2 checked resources drifted)")
	assert.Contains(t, out, "  IN_SYNC   AWS::KMS::Key LogKey (k-1)")
	assert.Contains(t, out, "  IN_SYNC   AWS::EC2::VPC Vpc (vpc-1)")
	assert.Contains(t, out, "  IN_SYNC   AWS::DynamoDB::Table Table (notes-dev-data-Table)")
	assert.Contains(t, out, "drift check: no drift in 2 stacks")
	assert.Equal(t, []string{lookupRole + " drift-check"}, f.assumed)
	for _, c := range f.calls {
		assert.True(t, strings.HasSuffix(c, " ASIALOOKUP"), "%s: CloudFormation is called as the lookup role, never as the caller", c)
	}
	assert.Equal(t, 3, f.polls["notes-dev-base"], "waits while detection is in progress")
}

// drifted is a Backend stack with a changed function, a deleted alarm and more resources
// than one page of the API returns.
func drifted() map[string]*fakeStack {
	return map[string]*fakeStack{
		"notes-dev-backend": {Resources: []fakeResource{
			{LogicalID: "HealthFunction", Type: "AWS::Lambda::Function", PhysicalID: "notes-dev-backend-Health", Status: "IN_SYNC"},
			{LogicalID: "NotesReadFunction", Type: "AWS::Lambda::Function", PhysicalID: "notes-dev-backend-NotesRead", Status: "MODIFIED",
				Diffs: [][4]string{{"/MemorySize", "NOT_EQUAL", "256", "1024"}, {"/Environment/Variables/DEBUG", "ADD", "", "1"}}},
			{LogicalID: "ErrorsAlarm", Type: "AWS::CloudWatch::Alarm", PhysicalID: "notes-dev-errors", Status: "DELETED"},
			{LogicalID: "Api", Type: "AWS::ApiGateway::RestApi", PhysicalID: "abc123", Status: "IN_SYNC"},
			{LogicalID: "ApiStage", Type: "AWS::ApiGateway::Stage", PhysicalID: "api", Status: "IN_SYNC"},
		}},
	}
}

// Drift is reported per resource, with each property's expected and actual value; without
// --fail-on-drift the check still passes.
func TestDriftReported(t *testing.T) {
	_, cl := fake(t, drifted())
	code, out, errOut := check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-backend")
	assert.Equal(t, 0, code, out+errOut)
	assert.Contains(t, out, "as the caller's credentials")
	assert.Contains(t, out, "notes-dev-backend: DRIFTED (2 of 5 checked resources drifted)")
	lines := strings.Split(out, "\n")
	i := indexOf(lines, "  DELETED   AWS::CloudWatch::Alarm ErrorsAlarm (notes-dev-errors)")
	j := indexOf(lines, "  MODIFIED  AWS::Lambda::Function NotesReadFunction (notes-dev-backend-NotesRead)")
	k := indexOf(lines, "  IN_SYNC   AWS::ApiGateway::RestApi Api (abc123)")
	require.True(t, i >= 0 && j >= 0 && k >= 0, out)
	assert.True(t, i < j && j < k, "what drifted comes first:\n%s", out)
	assert.Equal(t, "      the resource no longer exists", lines[i+1])
	assert.Equal(t, "      /MemorySize NOT_EQUAL: expected 256, actual 1024", lines[j+1])
	assert.Equal(t, "      /Environment/Variables/DEBUG ADD: expected (none), actual 1", lines[j+2])
	assert.Contains(t, out, "drift check: drift in notes-dev-backend (2 resources)")
	assert.Contains(t, out, "the next deploy does not undo it")
	assert.Contains(t, out, "reported only: failOnDrift is off")
	assert.Contains(t, out, "ApiStage", "every page of the API is read")
}

// With --fail-on-drift the same drift fails the check, and so does one drifted resource.
func TestDriftFails(t *testing.T) {
	deployed := drifted()
	deployed["notes-dev-base"] = &fakeStack{Resources: append(inSync(), fakeResource{LogicalID: "FlowLogs", Type: "AWS::EC2::FlowLog", PhysicalID: "fl-1", Status: "DELETED"})}
	_, cl := fake(t, deployed)
	code, out, _ := check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-backend", "--fail-on-drift")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "drift check FAILED (failOnDrift is on for this environment)")
	code, out, _ = check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-base", "--fail-on-drift")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "drift check: drift in notes-dev-base (1 resource)\n")
}

// A detection that could not check every resource cannot say there is no drift: it is
// reported, and fails the check where drift does.
func TestDetectionIncomplete(t *testing.T) {
	stacks := map[string]*fakeStack{"notes-dev-frontend": {Failed: "Failed to detect drift on resource [Distribution]: Access denied", Resources: []fakeResource{
		{LogicalID: "Distribution", Type: "AWS::CloudFront::Distribution", Status: "UNKNOWN", Reason: "Access denied"},
		{LogicalID: "Site", Type: "AWS::S3::Bucket", PhysicalID: "notes-dev-site", Status: "IN_SYNC"},
	}}}
	_, cl := fake(t, stacks)
	code, out, _ := check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-frontend", "--fail-on-drift")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "  UNKNOWN   AWS::CloudFront::Distribution Distribution: Access denied")
	assert.Contains(t, out, "detection incomplete (DETECTION_FAILED: Failed to detect drift on resource [Distribution]: Access denied)")
	assert.Contains(t, out, "not every resource could be checked in notes-dev-frontend")
	assert.NotContains(t, out, "the next deploy does not undo it", "nothing drifted")

	code, out, _ = check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-frontend")
	assert.Equal(t, 0, code, out)
}

// Errors of AWS and of the request stop the check with exit code 2 and say what failed.
func TestErrors(t *testing.T) {
	_, cl := fake(t, map[string]*fakeStack{"notes-dev-base": {Resources: inSync()}, "notes-dev-slow": {Polls: -1}})

	code, _, errOut := check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-base", "--stack", "notes-dev-gone")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "notes-dev-gone: starting drift detection:")
	assert.Contains(t, errOut, "Stack with id notes-dev-gone does not exist")

	code, _, errOut = check(t, cl, "--region", "eu-west-1", "--stack", "notes-dev-slow", "--timeout", "200ms")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "notes-dev-slow: drift detection detection-notes-dev-slow still running")

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--region", "eu-west-1"}, "usage: driftcheck --region <region> --stack <name>"},
		{[]string{"--region", "Europe", "--stack", "notes-dev-base"}, `--region "Europe": allowed is an AWS region`},
		{[]string{"--region", "eu-west-1", "--stack", "notes_dev"}, `--stack "notes_dev": allowed is a CloudFormation stack name`},
		{[]string{"--region", "eu-west-1", "--stack", "notes-dev-base", "--role", "lookup"}, `--role "lookup": allowed is an IAM role ARN`},
		{[]string{"--region", "eu-west-1", "--stack", "notes-dev-base", "--timeout", "0s"}, "allowed are positive durations"},
		{[]string{"--region", "eu-west-1", "--stack", "notes-dev-base", "extra"}, "usage:"},
	} {
		code, _, errOut := check(t, cl, c.args...)
		assert.Equal(t, 2, code, c.args)
		assert.Contains(t, errOut, c.want, c.args)
	}
}

// Long property values (policies, for example) are cut, saying how much is left out.
func TestShorten(t *testing.T) {
	assert.Equal(t, "short", shorten("short"))
	long := strings.Repeat("x", maxValue+25)
	assert.Equal(t, strings.Repeat("x", maxValue)+"... (25 more bytes)", shorten(long))
}

// The command that the pipeline step runs (stacks.DriftCheckCommand) is one this command
// parses and honours.
func TestPipelineCommandRuns(t *testing.T) {
	line := stacks.DriftCheckCommand("eu-west-1", lookupRole, []string{"notes-dev-base", "notes-dev-backend"}, true)
	args := strings.Fields(line)
	require.Equal(t, []string{"go", "run", "./cmd/driftcheck"}, args[:3])
	for i, a := range args {
		args[i] = strings.Trim(a, "'") // single-quoted words without quotes inside
	}
	deployed := drifted()
	deployed["notes-dev-base"] = &fakeStack{Resources: inSync()}
	f, cl := fake(t, deployed)
	code, out, errOut := check(t, cl, args[3:]...)
	assert.Equal(t, 1, code, "fail on drift: %s%s", out, errOut)
	assert.Contains(t, out, "notes-dev-base: IN_SYNC")
	assert.Contains(t, out, "notes-dev-backend: DRIFTED")
	assert.Equal(t, []string{lookupRole + " drift-check"}, f.assumed)

	line = stacks.DriftCheckCommand("eu-west-1", lookupRole, []string{"notes-dev-backend"}, false)
	assert.NotContains(t, line, "--fail-on-drift")
}

func indexOf(lines []string, s string) int {
	for i, l := range lines {
		if l == s {
			return i
		}
	}
	return -1
}
