package pretraffic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/lambdas/api"
	"github.com/example/notesplatform/lambdas/internal/app"
	"github.com/example/notesplatform/lambdas/internal/memstore"
)

// versions runs the real handlers as the invoked versions; broken replaces one
// function's answer.
type versions struct {
	handlers map[string]app.Handler
	broken   map[string]func() (*lambda.InvokeOutput, error)
	invoked  []string
}

func (v *versions) Invoke(ctx context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	name := strings.TrimPrefix(aws.ToString(in.FunctionName), "deployed-")
	v.invoked = append(v.invoked, name+":"+aws.ToString(in.Qualifier))
	if b := v.broken[name]; b != nil {
		return b()
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(in.Payload, &ev); err != nil {
		return nil, err
	}
	resp, err := v.handlers[name](ctx, ev)
	if err != nil {
		return &lambda.InvokeOutput{FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorMessage":"` + err.Error() + `"}`)}, nil
	}
	b, _ := json.Marshal(resp)
	return &lambda.InvokeOutput{Payload: b}, nil
}

// deployments serves one deployment's AppSpec and records the verdict.
type deployments struct {
	appSpec string
	status  cdtypes.LifecycleEventStatus
}

func (d *deployments) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	if d.appSpec == "" {
		return nil, errors.New("DeploymentDoesNotExistException")
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &cdtypes.DeploymentInfo{
		DeploymentId: in.DeploymentId,
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(d.appSpec)}},
	}}, nil
}

func (d *deployments) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	d.status = in.Status
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

// appSpecFor is the AppSpec CloudFormation writes for an alias update of one function.
func appSpecFor(function, target string) string {
	return fmt.Sprintf(`{"version":0.0,"Resources":[{"%s":{"Type":"AWS::Lambda::Function","Properties":{"Name":"deployed-%s","Alias":"live","CurrentVersion":"3","TargetVersion":"%s"}}}]}`,
		function, function, target)
}

func newCheck(t *testing.T, appSpec string) (*Check, *versions, *deployments) {
	t.Helper()
	v := &versions{
		handlers: app.Handlers(app.Deps{AppName: "notes", Environment: "dev", Version: "abc", Store: memstore.New(),
			CursorKey: app.StaticCursorKey([]byte("0123456789abcdef0123456789abcdef"))}),
		broken: map[string]func() (*lambda.InvokeOutput, error){},
	}
	d := &deployments{appSpec: appSpec}
	functions := map[string]string{}
	for _, f := range api.Functions {
		functions["deployed-"+f.Name] = f.Name
	}
	return &Check{Lambda: v, CodeDeploy: d, Functions: functions, Log: slog.New(slog.DiscardHandler)}, v, d
}

// The real handlers of every function pass their probes: /health and the first read
// route, on the version the deployment brings.
func TestEveryFunctionPasses(t *testing.T) {
	for _, f := range api.Functions {
		t.Run(f.Name, func(t *testing.T) {
			c, v, d := newCheck(t, appSpecFor(f.Name, "4"))
			require.NoError(t, c.Handle(context.Background(), Event{DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}))
			assert.Equal(t, cdtypes.LifecycleEventStatusSucceeded, d.status)
			assert.Len(t, v.invoked, len(Probes(f.Name)))
			for _, inv := range v.invoked {
				assert.Equal(t, f.Name+":4", inv, "only the new version is invoked")
			}
		})
	}
}

// Each function is probed with GET /health (200 from the function that serves it, 404 or
// 405 from the others) and then with its first GET route other than /health in table
// order, if it has one, as Caller with parameters that name nothing: the rule, checked
// over every function of the route table.
func TestProbes(t *testing.T) {
	tbl := api.Shipped()
	for _, f := range tbl.Functions {
		got := Probes(f.Name)
		require.NotEmpty(t, got, f.Name)
		health := Probe{Method: "GET", Path: "/health", Resource: "/health", Want: []int{404, 405}}
		var read *api.Route
		for _, r := range tbl.RoutesOf(f.Name) {
			switch {
			case r.Method == api.MethodGet && r.Path == "/health":
				health.Want = []int{200}
			case r.Method == api.MethodGet && read == nil:
				read = &r
			}
		}
		assert.Equal(t, health, got[0], "%s: the /health probe", f.Name)
		if read == nil {
			assert.Len(t, got, 1, "%s serves no other GET route: it is checked with /health only", f.Name)
			continue
		}
		require.Len(t, got, 2, f.Name)
		p := got[1]
		assert.Equal(t, read.Path, p.Resource, "%s: its first GET route", f.Name)
		assert.Equal(t, strings.Count(read.Path, "{"), strings.Count(p.Path, unknownID), "%s: every parameter names nothing", f.Name)
		assert.Equal(t, read.Auth == api.User, p.User, f.Name)
		assert.Equal(t, []int{200, 404}, p.Want, f.Name)
		if p.User {
			ev := p.Event()
			assert.Equal(t, Caller, ev.RequestContext.Authorizer["claims"].(map[string]any)["sub"])
		}
	}
}

func TestItemRouteProbeFillsParameters(t *testing.T) {
	p := Probe{Method: "GET", Path: "/notes/" + unknownID, Resource: "/notes/{id}", User: true}
	ev := p.Event()
	assert.Equal(t, unknownID, ev.PathParameters["id"])
	assert.Equal(t, "/notes/{id}", ev.Resource)
}

// A version that crashes, errors or answers garbage fails the deployment.
func TestBadVersionsFail(t *testing.T) {
	for name, answer := range map[string]func() (*lambda.InvokeOutput, error){
		"function error": func() (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorType":"Runtime.ExitError"}`)}, nil
		},
		"invoke refused": func() (*lambda.InvokeOutput, error) { return nil, errors.New("AccessDeniedException") },
		"not a proxy response": func() (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{Payload: []byte(`"hello"`)}, nil
		},
		"server error": func() (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{Payload: []byte(`{"statusCode":500,"body":"{\"error\":{\"code\":\"internal_error\"}}"}`)}, nil
		},
		"body not JSON": func() (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{Payload: []byte(`{"statusCode":200,"body":"<html>"}`)}, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, v, d := newCheck(t, appSpecFor("Health", "7"))
			v.broken["Health"] = answer
			require.NoError(t, c.Handle(context.Background(), Event{DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}))
			assert.Equal(t, cdtypes.LifecycleEventStatusFailed, d.status)
		})
	}
}

func TestUnknownDeploymentsFail(t *testing.T) {
	for name, spec := range map[string]string{
		"no deployment":    "",
		"unknown function": appSpecFor("Other", "2"),
		"no target":        strings.Replace(appSpecFor("Health", "2"), `"TargetVersion":"2"`, `"TargetVersion":""`, 1),
		"no resources":     `{"version":0.0,"Resources":[]}`,
		"not an AppSpec":   `:::`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _, d := newCheck(t, spec)
			require.NoError(t, c.Handle(context.Background(), Event{DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}))
			assert.Equal(t, cdtypes.LifecycleEventStatusFailed, d.status)
		})
	}
}

// CodeDeploy may hand over the AppSpec as YAML: it is read the same way.
func TestYAMLAppSpec(t *testing.T) {
	spec := "version: 0.0\nResources:\n  - Health:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: deployed-Health\n        Alias: live\n        CurrentVersion: \"1\"\n        TargetVersion: \"2\"\n"
	c, v, d := newCheck(t, spec)
	require.NoError(t, c.Handle(context.Background(), Event{DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}))
	assert.Equal(t, cdtypes.LifecycleEventStatusSucceeded, d.status)
	assert.Equal(t, []string{"Health:2"}, v.invoked)
}
