package artifact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/example/notesplatform/internal/cfn"
)

// CodeDeploy is a loopback stand-in for the part of CodeDeploy that a Lambda lifecycle
// hook uses (JSON 1.1 protocol, target CodeDeploy_20141006.*): GetDeployment of a
// deployment made here with Create, and PutLifecycleEventHookExecutionStatus, whose
// verdicts it keeps, refusing a second one as CodeDeploy does. Anything else is refused
// with an error that names the action.
type CodeDeploy struct {
	region, account string

	mu          sync.Mutex
	deployments map[string]*Deployment
}

// Deployment is a Lambda deployment: an alias update of one function, as CloudFormation
// starts it for an AWS::Lambda::Alias with a CodeDeployLambdaAliasUpdate policy.
type Deployment struct {
	ID, Application, Group string
	// AppSpec is the deployment's AppSpec content (JSON).
	AppSpec string
	// HookExecutionID identifies the BeforeAllowTraffic hook's execution.
	HookExecutionID string
	// Status is the hook's verdict (Succeeded, Failed), empty until it reports.
	Status string
	// Reports counts the verdicts the hook tried to report.
	Reports int
}

// NewCodeDeploy returns a stand-in without deployments.
func NewCodeDeploy(region, account string) *CodeDeploy {
	return &CodeDeploy{region: region, account: account, deployments: map[string]*Deployment{}}
}

// Create starts a deployment of group with this AppSpec and returns it; its hook
// execution waits for a verdict.
func (c *CodeDeploy) Create(application, group, appSpec string) *Deployment {
	d := &Deployment{ID: "d-" + strings.ToUpper(randomHex(5))[:9], Application: application, Group: group,
		AppSpec: appSpec, HookExecutionID: uuidOf(randomHex(16))}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deployments[d.ID] = d
	return d
}

// Get returns a copy of a deployment as it is now.
func (c *CodeDeploy) Get(id string) (Deployment, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.deployments[id]
	if !ok {
		return Deployment{}, false
	}
	return *d, true
}

// GroupARN is the ARN IAM knows a deployment group by.
func (c *CodeDeploy) GroupARN(application, group string) string {
	return fmt.Sprintf("arn:%s:codedeploy:%s:%s:deploymentgroup:%s/%s", cfn.Partition(c.region), c.region, c.account, application, group)
}

type deploymentRequest struct {
	DeploymentID string `json:"deploymentId"`
	HookID       string `json:"lifecycleEventHookExecutionId"`
	Status       string `json:"status"`
}

// Describe names the deployment group a request acts on: both actions are authorized on
// the deployment's group.
func (c *CodeDeploy) Describe(_ *http.Request, body []byte, _, _ string) (string, []string) {
	var in deploymentRequest
	if json.Unmarshal(body, &in) != nil {
		return "", nil
	}
	d, ok := c.Get(in.DeploymentID)
	if !ok {
		return "", nil
	}
	return "", []string{c.GroupARN(d.Application, d.Group)}
}

// ServeHTTP answers the JSON 1.1 protocol.
func (c *CodeDeploy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	var in deploymentRequest
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		codeDeployError(w, "InvalidInputException", "the request body is not JSON: "+err.Error())
		return
	}
	op := strings.TrimPrefix(target, "CodeDeploy_20141006.")
	if op != "GetDeployment" && op != "PutLifecycleEventHookExecutionStatus" {
		codeDeployError(w, "InvalidOperationException", "the CodeDeploy stand-in of the artifact tests does not implement "+target+": add it to internal/artifact/codedeploy.go if a function needs it")
		return
	}
	if in.DeploymentID == "" {
		codeDeployError(w, "DeploymentIdRequiredException", "Deployment ID is required")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.deployments[in.DeploymentID]
	if !ok {
		codeDeployError(w, "DeploymentDoesNotExistException", "The deployment "+in.DeploymentID+" could not be found")
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if op == "GetDeployment" {
		sum := sha256.Sum256([]byte(d.AppSpec))
		status := "InProgress"
		if d.Status == "Failed" {
			status = "Failed"
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"deploymentInfo": map[string]any{
			"applicationName": d.Application, "deploymentGroupName": d.Group, "deploymentId": d.ID,
			"computePlatform": "Lambda", "status": status, "creator": "user",
			"deploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
			"createTime":           float64(time.Now().Unix()),
			"revision": map[string]any{"revisionType": "AppSpecContent",
				"appSpecContent": map[string]any{"content": d.AppSpec, "sha256": hex.EncodeToString(sum[:])}},
		}})
		return
	}
	d.Reports++
	switch {
	case in.HookID != d.HookExecutionID:
		codeDeployError(w, "InvalidLifecycleEventHookExecutionIdException", "A lifecycle event hook with ID "+in.HookID+" is not part of deployment "+d.ID)
	case in.Status != "Succeeded" && in.Status != "Failed":
		codeDeployError(w, "InvalidLifecycleEventHookExecutionStatusException", "status "+in.Status+": a hook reports Succeeded or Failed")
	case d.Status != "":
		codeDeployError(w, "LifecycleEventAlreadyCompletedException", "The lifecycle event hook "+in.HookID+" has already completed with status "+d.Status)
	default:
		d.Status = in.Status
		_ = json.NewEncoder(w).Encode(map[string]string{"lifecycleEventHookExecutionId": d.HookExecutionID})
	}
}

func codeDeployError(w http.ResponseWriter, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AliasUpdate is what a function's AWS::Lambda::Alias tells CloudFormation to do on a
// new version: a CodeDeploy deployment in this application and group, with this hook.
type AliasUpdate struct {
	// AliasID is the alias's logical id; Alias its name (live).
	AliasID, Alias string
	// Application, Group and Hook are resolved names (the hook is a function name).
	Application, Group, Hook string
}

// AliasUpdateOf reads the CodeDeployLambdaAliasUpdate policy of f's alias.
func (h *Harness) AliasUpdateOf(f *Function) (AliasUpdate, error) {
	s := f.Stack
	for id, res := range s.Template.Resources {
		if res.Type != "AWS::Lambda::Alias" {
			continue
		}
		ref, _ := res.Properties["FunctionName"].(map[string]any)
		if ref["Ref"] != f.LogicalID {
			continue
		}
		policy, _ := res.UpdatePolicy["CodeDeployLambdaAliasUpdate"].(map[string]any)
		if policy == nil {
			return AliasUpdate{}, fmt.Errorf("%s: the alias %s has no CodeDeployLambdaAliasUpdate policy: CloudFormation would move it without CodeDeploy", f.Name, id)
		}
		u := AliasUpdate{AliasID: id}
		var err error
		for _, x := range []struct {
			into *string
			v    any
		}{{&u.Alias, res.Properties["Name"]}, {&u.Application, policy["ApplicationName"]}, {&u.Group, policy["DeploymentGroupName"]}, {&u.Hook, policy["BeforeAllowTrafficHook"]}} {
			if x.v == nil {
				continue
			}
			if *x.into, err = h.Resolver.String(s, x.v); err != nil {
				return AliasUpdate{}, fmt.Errorf("%s: alias %s: %w", f.Name, id, err)
			}
		}
		return u, nil
	}
	return AliasUpdate{}, fmt.Errorf("%s: no AWS::Lambda::Alias of the function in %s", f.Name, s.Name)
}

// AppSpec is the AppSpec CloudFormation gives the deployment of an alias update: the
// function, its alias, the version the alias is on and the one it moves to, and the
// BeforeAllowTraffic hook.
func AppSpec(u AliasUpdate, function, current, target string) string {
	spec := map[string]any{
		"version": json.Number("0.0"),
		"Resources": []any{map[string]any{u.AliasID: map[string]any{
			"Type": "AWS::Lambda::Function",
			"Properties": map[string]string{"Name": function, "Alias": u.Alias,
				"CurrentVersion": current, "TargetVersion": target},
		}}},
	}
	if u.Hook != "" {
		spec["Hooks"] = []any{map[string]string{"BeforeAllowTraffic": u.Hook}}
	}
	b, _ := json.Marshal(spec)
	return string(b)
}

// CheckDeployment runs CodeDeploy's BeforeAllowTraffic hook for a deployment that moves
// f's alias to version target, as a stack update does: CloudFormation starts the
// deployment named by the alias's update policy with the AppSpec of the update, and
// CodeDeploy invokes the hook function (the running instance whose deployed name the
// policy gives) with the lifecycle event. It returns the deployment with the verdict
// the hook reported; an error when the hook could not run or report.
func (h *Harness) CheckDeployment(ctx context.Context, f *Function, target string) (Deployment, error) {
	u, err := h.AliasUpdateOf(f)
	if err != nil {
		return Deployment{}, err
	}
	if u.Hook == "" {
		return Deployment{}, fmt.Errorf("%s: the alias update names no BeforeAllowTraffic hook", f.Name)
	}
	var hook *Instance
	for _, op := range h.Operational {
		if name, err := h.Resolver.Ref(op.Stack, op.LogicalID); err == nil && name == u.Hook {
			hook = h.Instances[op.Name]
		}
	}
	if hook == nil {
		return Deployment{}, fmt.Errorf("%s: the hook %q is none of the stage's running functions", f.Name, u.Hook)
	}
	name, err := h.Resolver.Ref(f.Stack, f.LogicalID)
	if err != nil {
		return Deployment{}, err
	}
	current := "1"
	if n, err := strconv.Atoi(target); err == nil && n > 1 {
		current = strconv.Itoa(n - 1)
	}
	d := h.CodeDeploy.Create(u.Application, u.Group, AppSpec(u, name, current, target))
	event, _ := json.Marshal(map[string]string{"DeploymentId": d.ID, "LifecycleEventHookExecutionId": d.HookExecutionID})
	if _, err := hook.Invoke(ctx, event); err != nil {
		return Deployment{}, fmt.Errorf("the hook failed to run or to report (CodeDeploy would time it out and fail the deployment): %w", err)
	}
	got, _ := h.CodeDeploy.Get(d.ID)
	return got, nil
}
