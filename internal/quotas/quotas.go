// Package quotas measures a synthesized cloud assembly against the limits that AWS
// enforces at deploy time and `cdk synth` does not (see Limits), so that synth fails at
// Threshold of a limit, long before the first deploy would. Sizes are estimated on the
// large side by internal/cfn's resolver (cfn.Options.Estimate).
package quotas

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/example/notesplatform/internal/config"
)

// Threshold is the share of a limit at which synthesis fails: far enough below the limit
// that the next few endpoints or grants still deploy, close enough that it is not noise.
const Threshold = 0.8

// Limit is one deploy-time limit.
type Limit struct {
	// ID is the stable key of the limit, e.g. "api-resources".
	ID string
	// Name says what is counted, for messages.
	Name string
	// Max is the limit as AWS states it.
	Max float64
	// Unit is "bytes" or "" for a count.
	Unit string
	// Fix says what to do when a value comes close.
	Fix string
}

// The limits, in one table. Sources: AWS CloudFormation quotas, API Gateway quotas for
// REST APIs, Lambda quotas and CloudFront quotas (the values AWS documents as of 2026).
var (
	Resources = Limit{ID: "resources", Name: "resources per template", Max: 500,
		Fix: "move resources into a nested stack or another stack"}
	TemplateBytes = Limit{ID: "template-bytes", Name: "template size", Max: 1_000_000, Unit: "bytes",
		Fix: "move resources into a nested stack or another stack, or shorten repeated values"}
	Outputs = Limit{ID: "outputs", Name: "outputs per template", Max: 200,
		Fix: "export fewer values: pass constructs, not strings, between stacks"}
	Parameters = Limit{ID: "parameters", Name: "parameters per template", Max: 200,
		Fix: "pass fewer values into the (nested) stack"}
	APIResources = Limit{ID: "api-resources", Name: "API Gateway resources per REST API", Max: 300,
		Fix: "API Gateway quota 'Resources per API' is 300 by default and raised per API: request more in the " +
			"Service Quotas console (Amazon API Gateway, Resources per API), then set the granted value as " +
			"config.environments[].apiResourcesQuota; or put routes on existing paths"}
	FunctionPolicyBytes = Limit{ID: "function-policy-bytes", Name: "Lambda resource-based policy", Max: 20_480, Unit: "bytes",
		Fix: "grant API Gateway once per function for the whole API (one permission for the API's execution ARN), not once per method"}
	FunctionEnvBytes = Limit{ID: "function-env-bytes", Name: "Lambda environment variables", Max: 4_096, Unit: "bytes",
		Fix: "keep large values in SSM Parameter Store or Secrets Manager and pass their names"}
	CodeZipBytes = Limit{ID: "code-zip-bytes", Name: "Lambda code, zipped", Max: 50 << 20, Unit: "bytes",
		Fix: "drop dependencies from the function, or split it"}
	CodeUnzippedBytes = Limit{ID: "code-unzipped-bytes", Name: "Lambda code and layers, unzipped", Max: 250 << 20, Unit: "bytes",
		Fix: "drop dependencies or layers from the function, or split it"}
	CloudFrontFunctionBytes = Limit{ID: "cloudfront-function-bytes", Name: "CloudFront Function code", Max: 10_240, Unit: "bytes",
		Fix: "move logic out of the viewer function (CloudFront Functions are limited to 10 KB)"}
)

// Limits is every limit the check measures.
var Limits = []Limit{
	Resources, TemplateBytes, Outputs, Parameters, APIResources,
	FunctionPolicyBytes, FunctionEnvBytes, CodeZipBytes, CodeUnzippedBytes, CloudFrontFunctionBytes,
}

// Measure is one value measured against one limit.
type Measure struct {
	Limit Limit
	// Stack is the stack's display name, e.g. "dev/Backend" or "dev/Backend/Routes0" for a
	// nested stack.
	Stack string
	// Subject names what was measured inside the stack (a function, an API, an asset);
	// empty for the template itself.
	Subject string
	Value   float64
	// Max is the limit that applies: Limit.Max unless raised for this stack.
	Max float64
}

// Ratio is the value as a share of its limit.
func (m Measure) Ratio() float64 { return m.Value / m.Max }

// Breach reports whether the value has reached Threshold of its limit.
func (m Measure) Breach() bool { return m.Value >= Threshold*m.Max }

// String is one line naming the stack, the limit, the value and what to do.
func (m Measure) String() string {
	where := m.Stack
	if m.Subject != "" {
		where += " " + m.Subject
	}
	unit := ""
	if m.Limit.Unit != "" {
		unit = " " + m.Limit.Unit
	}
	return fmt.Sprintf("%s: %s is %.0f%s of %.0f (%.1f%%, synth fails from %.0f%%): %s",
		where, m.Limit.Name, m.Value, unit, m.Max, 100*m.Ratio(), 100*Threshold, m.Limit.Fix)
}

// Raise records a limit raised in an account (a granted Service Quotas request) for the
// stacks whose display name starts with StackPrefix, such as "prod/".
type Raise struct {
	StackPrefix string
	Limit       Limit
	Max         float64
}

// Check measures every stack of the cloud assembly in dir, nested stage assemblies and
// nested stacks included. It returns every measure, sorted by stack and limit; Breaches
// picks those that fail synthesis.
func Check(dir string, raised ...Raise) ([]Measure, error) {
	a, err := readAssembly(dir)
	if err != nil {
		return nil, err
	}
	var out []Measure
	for _, st := range a.Stacks {
		out = append(out, a.measure(st)...)
	}
	for i := range out {
		out[i].Max = out[i].Limit.Max
		for _, r := range raised {
			if r.Limit.ID == out[i].Limit.ID && strings.HasPrefix(out[i].Stack, r.StackPrefix) {
				out[i].Max = r.Max
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Measure) int {
		return cmp.Or(cmp.Compare(x.Stack, y.Stack), cmp.Compare(limitIndex(x.Limit), limitIndex(y.Limit)), cmp.Compare(x.Subject, y.Subject))
	})
	return out, nil
}

func limitIndex(l Limit) int {
	return slices.IndexFunc(Limits, func(x Limit) bool { return x.ID == l.ID })
}

// Breaches returns the measures at or above Threshold of their limit.
func Breaches(ms []Measure) []Measure {
	var out []Measure
	for _, m := range ms {
		if m.Breach() {
			out = append(out, m)
		}
	}
	return out
}

// Table renders the measures as an aligned text table: stack, subject, limit, value,
// limit and percentage, for `make quotas` and the README.
func Table(ms []Measure) string {
	rows := [][]string{{"stack", "subject", "limit", "value", "max", "used"}}
	for _, m := range ms {
		rows = append(rows, []string{m.Stack, m.Subject, m.Limit.Name,
			fmt.Sprintf("%.0f", m.Value), fmt.Sprintf("%.0f", m.Max), fmt.Sprintf("%.1f%%", 100*m.Ratio())})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i >= 3 {
				fmt.Fprintf(&b, "%*s", widths[i], c)
			} else {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// RaisedBy are the quotas the configuration declares as raised in an environment's
// account (environments[].apiResourcesQuota), for Check.
func RaisedBy(cfg *config.Config) []Raise {
	var out []Raise
	for _, e := range cfg.Environments {
		if float64(e.APIResourcesQuota) != APIResources.Max {
			out = append(out, Raise{StackPrefix: e.Name + "/", Limit: APIResources, Max: float64(e.APIResourcesQuota)})
		}
	}
	return out
}
