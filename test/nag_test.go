package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/cfn"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdk-nag's AwsSolutions pack runs on every stage; no stack may carry an unsuppressed
// error or warning (cdk-nag's or CDK's own).
func TestNoUnsuppressedFindingsPerStack(t *testing.T) {
	s := shippedApp(t)
	require.NotEmpty(t, s.Stacks)
	for path, stack := range s.Stacks {
		t.Run(path, func(t *testing.T) {
			noPanic(t, func() {
				a := assertions.Annotations_FromStack(stack)
				any := assertions.Match_StringLikeRegexp(jsii.String(".*"))
				for _, m := range *a.FindError(jsii.String("*"), any) {
					t.Errorf("error %s: %v", *m.Id, m.Entry.Data)
				}
				for _, m := range *a.FindWarning(jsii.String("*"), any) {
					t.Errorf("warning %s: %v", *m.Id, m.Entry.Data)
				}
			})
		})
	}
}

// The checks really run inside the stages (Aspects on the App would not reach them):
// cdk-nag writes a report per stack, with rules it checked and found compliant.
func TestNagRunsInsideStages(t *testing.T) {
	s := shippedApp(t)
	for path, stack := range s.Stacks {
		report := filepath.Join(s.Assembly, fmt.Sprintf("AwsSolutions-%s-%s-NagReport.csv", strings.Split(path, "/")[0], *stack.StackName()))
		b, err := os.ReadFile(report)
		if assert.NoError(t, err, "no cdk-nag report for %s: is the pack applied to its stage?", path) {
			assert.Contains(t, string(b), `"Compliant"`, path)
		}
	}
	read, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	findings := read.Findings()
	assert.Empty(t, findings, fmt.Sprint(findings))
}
