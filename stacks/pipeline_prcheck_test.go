package stacks

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/example/notesplatform/internal/config"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Each host of a connection gets its own source type, URL, webhook events (no REOPENED
// on GitLab and Bitbucket) and the repository roles that may start a build; the shipped
// GitHub case is tested on the synthesized pipeline (test/pipeline_prcheck_test.go).
func TestConnectionSourceProviders(t *testing.T) {
	for _, tc := range []struct {
		provider  config.SourceProvider
		typ, url  string
		events    string
		approvers []any
	}{
		{config.GitHub, "GITHUB", "https://github.com/", "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED", nil},
		{config.GitLab, "GITLAB", "https://gitlab.com/", "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED", []any{"GITLAB_DEVELOPER", "GITLAB_MAINTAINER", "GITLAB_OWNER"}},
		{config.Bitbucket, "BITBUCKET", "https://bitbucket.org/", "PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED", []any{"BITBUCKET_WRITE", "BITBUCKET_ADMIN"}},
	} {
		t.Run(string(tc.provider), func(t *testing.T) {
			stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
			project := awscodebuild.NewCfnProject(stack, jsii.String("P"), &awscodebuild.CfnProjectProps{
				Artifacts:   &awscodebuild.CfnProject_ArtifactsProperty{Type: jsii.String("NO_ARTIFACTS")},
				Environment: &awscodebuild.CfnProject_EnvironmentProperty{ComputeType: jsii.String("BUILD_GENERAL1_SMALL"), Image: jsii.String("i"), Type: jsii.String("LINUX_CONTAINER")},
				ServiceRole: jsii.String("arn:aws:iam::111111111111:role/r"),
				Source:      &awscodebuild.CfnProject_SourceProperty{Type: jsii.String("NO_SOURCE")},
			})
			cfg := &config.Config{AppName: "notes", Pipeline: config.Pipeline{Source: config.Source{
				Kind: config.Connection, Provider: tc.provider, Repository: "example/notes", Branch: "release",
				ConnectionArn: "arn:aws:codeconnections:eu-west-1:333333333333:connection/0a1b2c3d-0a1b-4a1b-8a1b-0a1b2c3d4e5f",
			}}}
			connectionSource(project, cfg)
			var props map[string]any
			for _, r := range *assertions.Template_FromStack(stack, nil).FindResources(jsii.String("AWS::CodeBuild::Project"), nil) {
				props = (*r)["Properties"].(map[string]any)
			}
			require.NotNil(t, props)
			src := props["Source"].(map[string]any)
			assert.Equal(t, tc.typ, src["Type"])
			assert.Equal(t, tc.url+"example/notes.git", src["Location"])
			assert.Equal(t, map[string]any{"Type": "CODECONNECTIONS", "Resource": cfg.Pipeline.Source.ConnectionArn}, src["Auth"])
			triggers := props["Triggers"].(map[string]any)
			groups := triggers["FilterGroups"].([]any)[0].([]any)
			assert.Equal(t, map[string]any{"Type": "EVENT", "Pattern": tc.events}, groups[0])
			assert.Equal(t, map[string]any{"Type": "BASE_REF", "Pattern": "^refs/heads/release$"}, groups[1])
			if tc.approvers != nil {
				assert.Equal(t, tc.approvers, triggers["PullRequestBuildPolicy"].(map[string]any)["ApproverRoles"])
			}
		})
	}
}
