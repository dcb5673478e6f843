package test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/cfn"
	"github.com/example/notesplatform/internal/repo"
	"github.com/example/notesplatform/stacks"
)

// roleStatements are the statements of the policies attached to a project's role.
func roleStatements(t *testing.T, s *synthesized, project map[string]any) []map[string]any {
	t.Helper()
	role := project["ServiceRole"].(map[string]any)["Fn::GetAtt"].([]any)[0]
	var out []map[string]any
	for _, pol := range resources(s.Pipeline, "AWS::IAM::Policy") {
		props := pol["Properties"].(map[string]any)
		if !slices.ContainsFunc(props["Roles"].([]any), func(r any) bool { return toJSON(r) == toJSON(map[string]any{"Ref": role}) }) {
			continue
		}
		for _, st := range props["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, st.(map[string]any))
		}
	}
	require.NotEmpty(t, out, "no policy on the role of the project")
	return out
}

// actionsOf returns the statements' actions that match a prefix ("sts:", "s3:Put").
func actionsOf(stmts []map[string]any, prefix string) (actions, resources []string) {
	for _, st := range stmts {
		for _, a := range list(st["Action"]) {
			if strings.HasPrefix(fmt.Sprint(a), prefix) {
				actions = append(actions, fmt.Sprint(a))
				resources = append(resources, toJSON(st["Resource"]))
			}
		}
	}
	return actions, resources
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// stageAction is the one action of that name in a stage.
func stageAction(t *testing.T, actions []action, name string) action {
	t.Helper()
	var found []action
	for _, a := range actions {
		if a.Name == name {
			found = append(found, a)
		}
	}
	require.Len(t, found, 1, "actions named %s", name)
	return found[0]
}

// firstDeploy is the lowest run order of a CloudFormation action of the stage.
func firstDeploy(t *testing.T, actions []action) int {
	t.Helper()
	first := 1 << 30
	for _, a := range actions {
		if a.Provider == "CloudFormation" {
			first = min(first, a.RunOrder)
		}
	}
	require.Less(t, first, 1<<30, "the stage deploys nothing")
	return first
}

func pipelineConfigs(t *testing.T) map[string]*synthesized {
	return map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)}
}

// Every stage runs the old-version compatibility gate before any of its stacks changes,
// with the contractions accepted for that environment, and the gate may read the
// deployed templates through the target account's lookup role and nothing else.
func TestPipelineCompatGates(t *testing.T) {
	for name, s := range pipelineConfigs(t) {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				_, stages := pipelineActions(t, s)
				for _, e := range s.Config.Environments {
					gate := stageAction(t, stages[e.Name], stacks.CompatGateStepName)
					assert.Less(t, gate.RunOrder, firstDeploy(t, stages[e.Name]), "%s: the gate runs before the stacks change", e.Name)
					project := projectOf(t, s, gate)
					spec := parseBuildSpec(t, project)
					require.Len(t, spec.Phases["build"].Commands, 2, e.Name)
					assert.Equal(t, stacks.CompatGateCommand(e.Name, "hnb659fds", e.AcceptContractions)+` --execution-type "$EXECUTION_TYPE"`,
						spec.Phases["build"].Commands[1], e.Name)
					assert.Contains(t, spec.Phases["build"].Commands[0], "--pipeline-name 'notes-pipeline'", "the gate asks its own pipeline whether this is a rollback")
					_, resources := actionsOf(roleStatements(t, s, project), "sts:")
					assert.Equal(t, []string{fmt.Sprintf(`{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s"]]}`, e.Account, e.Account, e.Region)},
						resources, "%s: the gate assumes the lookup role of its environment's account and region only", e.Name)
				}
			})
		})
	}
	// The acceptances of the config reach the commands, quoted for the shell.
	noPanic(t, func() {
		s := connectionApp(t)
		_, stages := pipelineActions(t, s)
		commands := map[string]string{}
		for _, env := range []string{"dev", "prod"} {
			commands[env] = parseBuildSpec(t, projectOf(t, s, stageAction(t, stages[env], stacks.CompatGateStepName))).Phases["build"].Commands[1]
		}
		assert.Contains(t, commands["prod"], "--stage 'prod' --qualifier 'hnb659fds' --accept 'Backend/NotesRead:env:CURSOR_SECRET_ARN' --accept 'Backend/Health:*' --execution-type")
		assert.Contains(t, commands["dev"], "--stage 'dev' --qualifier 'hnb659fds' --accept '*' --execution-type")
		_, shippedStages := pipelineActions(t, shippedApp(t))
		shipped := parseBuildSpec(t, projectOf(t, shippedApp(t), stageAction(t, shippedStages["prod"], stacks.CompatGateStepName))).Phases["build"].Commands[1]
		assert.NotContains(t, shipped, "--accept", "the shipped config accepts nothing")
	})
}

// The artifact tests run once per pipeline run, natively on ARM, before the first stage
// deploys anything (and so before every later stage); the synth step leaves them to it.
func TestPipelineArtifactTestsBeforeAnyDeploy(t *testing.T) {
	s := shippedApp(t)
	noPanic(t, func() {
		names, stages := pipelineActions(t, s)
		var where []string
		for _, n := range names {
			for _, a := range stages[n] {
				if a.Name == stacks.ArtifactTestsStepID {
					where = append(where, n)
				}
			}
		}
		first := s.Config.Environments[0].Name
		require.Equal(t, []string{first}, where, "one artifact test action, in the first environment's stage")
		for _, n := range names[:slices.Index(names, first)] {
			for _, a := range stages[n] {
				assert.NotEqual(t, "CloudFormation", a.Provider, "%s deploys %s before the artifact tests", n, a.Name)
			}
		}
		tests := stageAction(t, stages[first], stacks.ArtifactTestsStepID)
		assert.Less(t, tests.RunOrder, firstDeploy(t, stages[first]))
		project := projectOf(t, s, tests)
		env := project["Environment"].(map[string]any)
		assert.Equal(t, "aws/codebuild/amazonlinux-aarch64-standard:4.0", env["Image"], "natively on ARM, the functions' architecture")
		assert.Equal(t, "ARM_CONTAINER", env["Type"])
		assert.Equal(t, []string{stacks.ArtifactTestsCommand}, parseBuildSpec(t, project).Phases["build"].Commands)
		assert.Contains(t, toJSON(project["Cache"]), "build-cache/artifact-tests")

		synth := projectOf(t, s, stages["Build"][0])
		vars := map[string]string{}
		for _, v := range synth["Environment"].(map[string]any)["EnvironmentVariables"].([]any) {
			m := v.(map[string]any)
			vars[m["Name"].(string)] = m["Value"].(string)
		}
		assert.Contains(t, vars[stacks.ArtifactTestsDeferEnv], stacks.ArtifactTestsStepID, "the synth step defers the artifact tests to the ARM step")
		assert.Equal(t, "auto", vars["GOTOOLCHAIN"], "the deferral is added to the synth step's variables, not instead of them")
	})
}

// Every stage ends, after its smoke test, with a drift check of its stacks through the
// lookup role of its account and of each region (the Edge stack's us-east-1 too); production fails on drift by default, the
// config key turns it either way. The step's role assumes that one role and writes no
// artifact.
func TestPipelineDriftChecks(t *testing.T) {
	goVersion, err := repo.GoVersion(repoRoot(t))
	require.NoError(t, err)
	for name, s := range pipelineConfigs(t) {
		t.Run(name, func(t *testing.T) {
			noPanic(t, func() {
				_, stages := pipelineActions(t, s)
				for _, e := range s.Config.Environments {
					actions := stages[e.Name]
					drift := stageAction(t, actions, stacks.DriftCheckStepName)
					smoke := stageAction(t, actions, "SmokeTest")
					assert.Greater(t, drift.RunOrder, smoke.RunOrder, e.Name)
					for _, a := range actions {
						if a.Name != drift.Name {
							assert.Less(t, a.RunOrder, drift.RunOrder, "%s: the drift check ends the stage, %s runs with or after it", e.Name, a.Name)
						}
					}
					project := projectOf(t, s, drift)
					spec := parseBuildSpec(t, project)
					// One check per region of the stage, each through that region's lookup
					// role: the Edge stack (WAF) is checked in us-east-1.
					var commands, roles []string
					for _, region := range e.Regions() {
						role := fmt.Sprintf("arn:aws:iam::%s:role/cdk-hnb659fds-lookup-role-%s-%s", e.Account, e.Account, region)
						stackNames := []string{"notes-" + e.Name + "-base", "notes-" + e.Name + "-data", "notes-" + e.Name + "-backend", "notes-" + e.Name + "-frontend"}
						if region != e.Region {
							stackNames = []string{"notes-" + e.Name + "-edge"}
						}
						commands = append(commands, stacks.DriftCheckCommand(region, role, stackNames, e.DriftFails()))
						roles = append(roles, role)
					}
					assert.Equal(t, []string{stacks.EveryCommand(commands)}, spec.Phases["build"].Commands, e.Name)
					assert.Equal(t, goVersion, spec.Phases["install"].RuntimeVersions["golang"])
					assert.Nil(t, spec.Cache, "no build cache: its grant would let the step write artifacts")
					assert.Equal(t, map[string]any{"Type": "NO_CACHE"}, project["Cache"])

					env := project["Environment"].(map[string]any)
					assert.Equal(t, "aws/codebuild/amazonlinux-aarch64-standard:4.0", env["Image"])
					assert.Equal(t, "BUILD_GENERAL1_SMALL", env["ComputeType"])
					assert.Equal(t, false, env["PrivilegedMode"])

					stmts := roleStatements(t, s, project)
					actionsSTS, resources := actionsOf(stmts, "sts:")
					assert.Equal(t, []string{"sts:AssumeRole"}, actionsSTS, e.Name)
					require.Len(t, resources, 1, e.Name)
					var got []string
					for _, r := range list(fromJSON(t, resources[0])) {
						got = append(got, fmt.Sprint(r))
					}
					assert.ElementsMatch(t, roles, got, "%s: the lookup roles of the stage's account and regions, nothing else", e.Name)
					for _, prefix := range []string{"s3:Put", "s3:Delete", "s3:Abort", "cloudformation:", "iam:", "codepipeline:"} {
						got, _ := actionsOf(stmts, prefix)
						assert.Empty(t, got, "%s: the drift check's own role needs no %s", e.Name, prefix)
					}
				}
			})
		})
	}
	// The switch: production fails by default, dev reports; the config key turns both.
	noPanic(t, func() {
		command := func(s *synthesized, env string) string {
			_, stages := pipelineActions(t, s)
			return parseBuildSpec(t, projectOf(t, s, stageAction(t, stages[env], stacks.DriftCheckStepName))).Phases["build"].Commands[0]
		}
		assert.Contains(t, command(shippedApp(t), "prod"), " --fail-on-drift || status=1; exit $status", "production fails on drift by default, in each of its regions")
		assert.NotContains(t, command(shippedApp(t), "dev"), "--fail-on-drift", "dev only reports by default")
		assert.True(t, strings.HasSuffix(command(connectionApp(t), "dev"), " --fail-on-drift"), "failOnDrift: true")
		assert.NotContains(t, command(connectionApp(t), "prod"), "--fail-on-drift", "failOnDrift: false")
		assert.Contains(t, command(shippedApp(t), "dev"), "go run ./cmd/driftcheck --region 'eu-west-1' --role 'arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1'"+
			" --stack 'notes-dev-base' --stack 'notes-dev-data' --stack 'notes-dev-backend' --stack 'notes-dev-frontend'")
	})
}

// The connection configuration is nag-clean too.
func TestPipelineConnectionNagClean(t *testing.T) {
	s := connectionApp(t)
	read, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	findings := read.Findings()
	assert.Empty(t, findings, fmt.Sprint(findings))
}

// fromJSON decodes a JSON fragment rendered by toJSON.
func fromJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

// The drift check of a stage in two regions runs the second region's check even when the
// first fails, and fails when either does.
func TestEveryCommandRunsAllAndFailsOnAny(t *testing.T) {
	run := func(commands ...string) (string, error) {
		out, err := exec.Command("bash", "-c", stacks.EveryCommand(commands)).CombinedOutput()
		return string(out), err
	}
	out, err := run("echo first; false", "echo second")
	assert.Error(t, err)
	assert.Equal(t, "first\nsecond\n", out)
	_, err = run("true", "false")
	assert.Error(t, err)
	_, err = run("true", "true")
	assert.NoError(t, err)
	assert.Equal(t, "go version", stacks.EveryCommand([]string{"go version"}), "one command stays as it is")
}
