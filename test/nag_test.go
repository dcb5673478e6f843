package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/example/notesplatform/internal/cfn"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdk-nag's AwsSolutions pack runs on every stage; no stack may carry an unsuppressed
// error or warning (cdk-nag's or CDK's own).
func TestNoUnsuppressedFindingsPerStack(t *testing.T) {
	s := shippedApp(t)
	require.NotEmpty(t, s.Templates)
	for path := range s.Templates {
		t.Run(path, func(t *testing.T) {
			for _, f := range s.Cloud.Findings() {
				if strings.HasPrefix(f.Path, "/"+path+"/") {
					t.Errorf("%s", f)
				}
			}
		})
	}
}

// The checks really run inside the stages (Aspects on the App would not reach them):
// cdk-nag writes a report per stack, with rules it checked and found compliant.
func TestNagRunsInsideStages(t *testing.T) {
	s := shippedApp(t)
	for path := range s.Templates {
		report := filepath.Join(s.Assembly, fmt.Sprintf("AwsSolutions-%s-%s-NagReport.csv", strings.Split(path, "/")[0], s.stack(t, path).Name))
		b, err := os.ReadFile(report)
		if !assert.NoError(t, err, "no cdk-nag report for %s: is the pack applied to its stage?", path) {
			continue
		}
		if onlyTypes(s.Templates[path], unchecked...) {
			continue // no AwsSolutions rule looks at these types: an empty report is right
		}
		assert.Contains(t, string(b), `"Compliant"`, path)
	}
	read, err := cfn.Read(s.Assembly)
	require.NoError(t, err)
	findings := read.Findings()
	assert.Empty(t, findings, fmt.Sprint(findings))
}

// unchecked are resource types no AwsSolutions rule inspects (the Edge stack holds only a
// web ACL, so its report lists no rule at all).
var unchecked = []string{"AWS::WAFv2::WebACL"}

// onlyTypes reports whether every resource of the template is of one of the types.
func onlyTypes(tpl assertions.Template, types ...string) bool {
	res, _ := templateJSON(tpl)["Resources"].(map[string]any)
	for _, r := range res {
		if typ, _ := r.(map[string]any)["Type"].(string); !slices.Contains(types, typ) {
			return false
		}
	}
	return len(res) > 0
}
