// Package pretraffic is CodeDeploy's pre-traffic check of a new function version: before
// the live alias sends the version any request, it invokes that version with the events
// API Gateway would send (GET /health, and the function's first read route as a user who
// owns no data) and fails the deployment on a crash, an error or a malformed answer.
package pretraffic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"go.yaml.in/yaml/v3"

	"github.com/example/notesplatform/lambdas/api"
)

// Invoker runs a function version: what the check needs of the Lambda client.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Deployments reads a deployment and takes the check's verdict: what the check needs of
// the CodeDeploy client.
type Deployments interface {
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	PutLifecycleEventHookExecutionStatus(ctx context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, opts ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error)
}

var (
	_ Invoker     = (*lambda.Client)(nil)
	_ Deployments = (*codedeploy.Client)(nil)
)

// Event is what CodeDeploy sends a lifecycle hook.
type Event struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// Caller is the `sub` of the user the checks act as: a user no person can be (Cognito
// subs are UUIDs), who owns no notes.
const Caller = "codedeploy-pre-traffic-check"

// Check checks the versions that CodeDeploy deployments bring.
type Check struct {
	Lambda     Invoker
	CodeDeploy Deployments
	// Functions maps a deployed function name to its name in the route table.
	Functions map[string]string
	Log       *slog.Logger
}

// Handle checks the deployment's new version and reports the verdict to CodeDeploy. It
// returns an error only when the verdict cannot be reported (CodeDeploy then times the
// hook out and fails the deployment anyway).
func (c *Check) Handle(ctx context.Context, ev Event) error {
	status := cdtypes.LifecycleEventStatusSucceeded
	if err := c.check(ctx, ev.DeploymentID); err != nil {
		c.Log.Error("pre-traffic check failed: the deployment rolls back", slog.String("deploymentId", ev.DeploymentID), slog.String("error", err.Error()))
		status = cdtypes.LifecycleEventStatusFailed
	} else {
		c.Log.Info("pre-traffic check passed", slog.String("deploymentId", ev.DeploymentID))
	}
	_, err := c.CodeDeploy.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId:                  aws.String(ev.DeploymentID),
		LifecycleEventHookExecutionId: aws.String(ev.LifecycleEventHookExecutionID),
		Status:                        status,
	})
	return err
}

// appSpec is the part of a Lambda deployment's AppSpec that names what moves.
type appSpec struct {
	Resources []map[string]struct {
		Properties struct {
			Name          string `yaml:"Name"`
			Alias         string `yaml:"Alias"`
			TargetVersion string `yaml:"TargetVersion"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

func (c *Check) check(ctx context.Context, deploymentID string) error {
	out, err := c.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(deploymentID)})
	if err != nil {
		return fmt.Errorf("reading the deployment: %w", err)
	}
	if out.DeploymentInfo == nil || out.DeploymentInfo.Revision == nil || out.DeploymentInfo.Revision.AppSpecContent == nil {
		return errors.New("the deployment has no AppSpec content")
	}
	var spec appSpec // YAML reads the JSON AppSpecs CloudFormation writes too
	if err := yaml.Unmarshal([]byte(aws.ToString(out.DeploymentInfo.Revision.AppSpecContent.Content)), &spec); err != nil {
		return fmt.Errorf("reading the AppSpec: %w", err)
	}
	checked := 0
	for _, resources := range spec.Resources {
		for _, r := range resources {
			p := r.Properties
			name, ok := c.Functions[p.Name]
			if !ok {
				return fmt.Errorf("function %q is not one this check knows", p.Name)
			}
			if p.TargetVersion == "" {
				return fmt.Errorf("function %q: the AppSpec names no target version", p.Name)
			}
			for _, probe := range Probes(name) {
				if err := c.probe(ctx, p.Name, p.TargetVersion, probe); err != nil {
					return fmt.Errorf("%s version %s: %s %s: %w", name, p.TargetVersion, probe.Method, probe.Path, err)
				}
			}
			checked++
		}
	}
	if checked == 0 {
		return errors.New("the AppSpec names no function")
	}
	return nil
}

// Probe is one request to a new version and the statuses that pass.
type Probe struct {
	Method, Path string
	// Resource is the route-table path (API Gateway's resource); Path has its
	// parameters filled in.
	Resource string
	User     bool
	Want     []int
}

// unknownID has the shape of a note id and names no note.
const unknownID = "00000000000000000000000000"

// Probes are the checks of one function of the route table: GET /health (200 from the
// function that serves it; from the others, their router's 404 or 405 in the error
// shape, which shows they start, read their environment and route), then its first GET
// route with parameters that name nothing, as Caller: 200, or 404 for an item.
func Probes(function string) []Probe {
	health := Probe{Method: http.MethodGet, Path: "/health", Resource: "/health", Want: []int{http.StatusNotFound, http.StatusMethodNotAllowed}}
	var read *api.Route
	for _, r := range api.Shipped().RoutesOf(function) {
		if r.Method == "GET" && r.Path == "/health" {
			health.Want = []int{http.StatusOK}
		} else if r.Method == "GET" && read == nil {
			read = &r
		}
	}
	out := []Probe{health}
	if read != nil {
		path := read.Path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				path = strings.Replace(path, seg, unknownID, 1)
			}
		}
		out = append(out, Probe{Method: "GET", Path: path, Resource: read.Path, User: read.Auth == api.User,
			Want: []int{http.StatusOK, http.StatusNotFound}})
	}
	return out
}

// Event is the proxy event API Gateway would send for the probe.
func (p Probe) Event() events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		Resource: p.Resource, Path: p.Path, HTTPMethod: p.Method,
		Headers:           map[string]string{"Accept": "application/json", "User-Agent": "codedeploy-pre-traffic-check"},
		MultiValueHeaders: map[string][]string{"Accept": {"application/json"}, "User-Agent": {"codedeploy-pre-traffic-check"}},
		PathParameters:    map[string]string{},
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage: "api", ResourcePath: p.Resource, HTTPMethod: p.Method, Path: "/api" + p.Path,
			RequestID: "pre-traffic-check",
		},
	}
	tsegs, segs := strings.Split(p.Resource, "/"), strings.Split(p.Path, "/")
	for i, t := range tsegs {
		if strings.HasPrefix(t, "{") && i < len(segs) {
			ev.PathParameters[strings.Trim(t, "{}")] = segs[i]
		}
	}
	if p.User {
		ev.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": Caller, "token_use": "id"}}
	}
	return ev
}

func (c *Check) probe(ctx context.Context, function, version string, p Probe) error {
	payload, err := json.Marshal(p.Event())
	if err != nil {
		return err
	}
	out, err := c.Lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(function), Qualifier: aws.String(version), Payload: payload,
	})
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	if out.FunctionError != nil {
		return fmt.Errorf("the function failed (%s): %s", aws.ToString(out.FunctionError), truncate(string(out.Payload)))
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out.Payload, &resp); err != nil {
		return fmt.Errorf("the answer is not an API Gateway proxy response: %s", truncate(string(out.Payload)))
	}
	if !json.Valid([]byte(resp.Body)) {
		return fmt.Errorf("status %d with a body that is not JSON: %s", resp.StatusCode, truncate(resp.Body))
	}
	for _, s := range p.Want {
		if resp.StatusCode == s {
			return nil
		}
	}
	return fmt.Errorf("status %d, want one of %v: %s", resp.StatusCode, p.Want, truncate(resp.Body))
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
