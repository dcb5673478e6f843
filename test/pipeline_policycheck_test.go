package test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/deploypolicy"
	"github.com/example/notesplatform/internal/iamsim"
	"github.com/example/notesplatform/stacks"
)

// Every stage runs the pre-deploy policy check beside the compatibility gate, before any
// of its stacks changes and (prod) before a person is asked to approve: the command for
// its environment, with the IAM evaluator's npm packages installed from the lock file, and
// a role that may assume the target account's lookup role and no other.
func TestPipelinePolicyChecks(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		_, stages := pipelineActions(t, s)
		for _, e := range s.Config.Environments {
			check := stageAction(t, stages[e.Name], stacks.PolicyCheckStepName)
			gate := stageAction(t, stages[e.Name], stacks.CompatGateStepName)
			assert.Equal(t, gate.RunOrder, check.RunOrder, "%s: beside the compatibility gate", e.Name)
			assert.Less(t, check.RunOrder, firstDeploy(t, stages[e.Name]), "%s: the check runs before the first change set", e.Name)
			for _, a := range stages[e.Name] {
				if a.Name == "Approve" {
					assert.Less(t, check.RunOrder, a.RunOrder, "%s: before the manual approval", e.Name)
				}
			}
			project := projectOf(t, s, check)
			spec := parseBuildSpec(t, project)
			assert.Equal(t, []string{stacks.PolicyCheckCommand(s.Config.AppName, e.Name, deploypolicy.DefaultQualifier, s.Config.Pipeline.Account)},
				spec.Phases["build"].Commands, e.Name)
			assert.Equal(t, fmt.Sprintf("go run ./cmd/policycheck --assembly cdk.out --app 'notes' --stage '%s' --qualifier 'hnb659fds' --trust '333333333333'", e.Name),
				spec.Phases["build"].Commands[0])
			install := strings.Join(spec.Phases["install"].Commands, "\n")
			assert.Contains(t, install, "npm ci --no-audit --no-fund", "the IAM evaluator's packages, pinned by package-lock.json")
			assert.Regexp(t, `ln -s -- "\$CODEBUILD_SRC_DIR_\w+" "cdk.out"`, install, "the synthesized assembly beside the source")
			assert.Equal(t, stacks.NodeMajor, spec.Phases["install"].RuntimeVersions["nodejs"])
			assert.NotEmpty(t, spec.Phases["install"].RuntimeVersions["golang"])
			assert.Contains(t, spec.Cache.Paths, "/root/.npm/**/*")
			assert.Contains(t, fmt.Sprint(project["Cache"].(map[string]any)["Location"]), "build-cache/policy-check")
			_, resources := actionsOf(roleStatements(t, s, project), "sts:")
			assert.Equal(t, []string{fmt.Sprintf(`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s"]]}`, e.Account, e.Account, e.Region)},
				resources, "%s: the check assumes the lookup role of its environment's account and region only", e.Name)
		}
	})
}

// The step role's one grant beyond CDK Pipelines' (sts:AssumeRole of the lookup role) is
// replayed like every other: the IAM evaluator allows the step role, within the pipeline
// roles' boundary, to assume its environment's lookup role, and no other role. (The lookup
// role's own reads of IAM are replayed in internal/policycheck.)
func TestPolicyCheckStepRoleReplay(t *testing.T) {
	s := shippedApp(t)
	b := pipelineEnvBundle(t, "", s).bundle
	p := s.Config.Pipeline
	_, stages := pipelineActions(t, s)
	lookup := func(account, region string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s", account, account, region)
	}
	var reqs []iamsim.Request
	var want []iamsim.Decision
	for _, e := range s.Config.Environments {
		var project map[string]any
		noPanic(t, func() { project = projectOf(t, s, stageAction(t, stages[e.Name], stacks.PolicyCheckStepName)) })
		var statements []any
		for _, st := range roleStatements(t, s, project) {
			if a := toJSON(st["Action"]); strings.Contains(a, "sts:") {
				statements = append(statements, map[string]any{"Effect": st["Effect"], "Action": st["Action"], "Resource": resolvedARN(st["Resource"])})
			}
		}
		require.NotEmpty(t, statements)
		identity := []iamsim.Policy{{Name: e.Name + "PolicyCheckRoleDefaultPolicy", Document: map[string]any{"Version": "2012-10-17", "Statement": statements}}}
		role := fmt.Sprintf("arn:aws:iam::%s:role/%s-Pipeline%sPolicyCheckRole-0A1B2C3D4E5F", p.Account, stacks.PipelineStackName(s.Config.AppName), e.Name)
		other := s.Config.Environments[0]
		if other.Name == e.Name {
			other = s.Config.Environments[1]
		}
		for resource, decision := range map[string]iamsim.Decision{
			lookup(e.Account, e.Region):         iamsim.Allowed,
			lookup(other.Account, other.Region): iamsim.ImplicitlyDenied,
			fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-deploy-role-%s-%s", e.Account, e.Account, e.Region): iamsim.ImplicitlyDenied,
		} {
			reqs = append(reqs, iamsim.Request{Principal: role, Identity: identity, Action: "sts:AssumeRole", Resource: resource,
				Boundary: &iamsim.Policy{Name: b.RoleBoundary.Name, Document: b.RoleBoundary.Document},
				// The caller's side: the target account's trust policy (cdk bootstrap
				// --trust) is the other half, which the target account holds.
				ResourceAccount: p.Account})
			want = append(want, decision)
		}
	}
	res, err := simulator(t).Evaluate(context.Background(), reqs)
	require.NoError(t, err)
	for i, r := range res {
		require.Empty(t, r.Error)
		assert.Equal(t, want[i], r.Decision, "%s may sts:AssumeRole %s: %v", reqs[i].Principal, reqs[i].Resource, r.Denials)
	}
}

func TestPolicyCheckStepValidate(t *testing.T) {
	defer func() {
		r := recover()
		require.NotNil(t, r)
		msg := fmt.Sprint(r)
		assert.Contains(t, msg, `App "Notes": allowed is the config appName`)
		assert.Contains(t, msg, `GoVersion "1.26.1": allowed is major.minor`)
		assert.Contains(t, msg, "Source and Assembly are required")
		assert.Contains(t, msg, `Trust "3333": allowed is a 12-digit account id`)
	}()
	stage := awscdk.NewStage(awscdk.NewApp(nil), jsii.String("dev"), nil)
	stacks.PolicyCheckStep(&stacks.PolicyCheckProps{Stage: stage, App: "Notes", GoVersion: "1.26.1", Trust: "3333"})
}
