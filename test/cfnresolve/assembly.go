// Package cfnresolve reads a CDK cloud assembly and resolves its templates the way
// CloudFormation does before a hook sees a resource: weak cross-stack references
// (Fn::GetStackOutput), Ref, Fn::GetAtt, Fn::Join, Fn::Sub and the other intrinsic
// functions become plain values, and resources whose condition is false disappear.
//
// Values that only exist once a resource is created (generated names, ids, ARNs) become
// realistic placeholders in the format AWS uses, derived from the stack and logical id so
// that every run gives the same template. Policy checks such as AWS Control Tower's
// proactive controls misread unresolved templates: a key ARN that arrives through
// Fn::GetStackOutput is an object, not a string, until it is resolved.
package cfnresolve

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Stack is one CloudFormation stack of an assembly.
type Stack struct {
	// ID is the artifact id in the assembly manifest.
	ID string
	// Name is the CloudFormation stack name.
	Name string
	// Path is the stack's construct path, e.g. "dev/Base".
	Path string
	// Account and Region are the stack's environment.
	Account, Region string
	// TemplateFile is the template's path on disk.
	TemplateFile string
	// Template is the template as synthesized.
	Template map[string]any
}

// Assembly is every stack of a cloud assembly, nested assemblies (CDK stages) included.
type Assembly struct {
	Stacks []*Stack
}

type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		DisplayName string `json:"displayName"`
		Properties  struct {
			TemplateFile  string `json:"templateFile"`
			StackName     string `json:"stackName"`
			DirectoryName string `json:"directoryName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// Read loads the stacks of the cloud assembly in dir (cdk.out or a test's outdir).
func Read(dir string) (*Assembly, error) {
	a := &Assembly{}
	if err := a.read(dir); err != nil {
		return nil, err
	}
	if len(a.Stacks) == 0 {
		return nil, fmt.Errorf("cfnresolve: no stacks in the cloud assembly %s", dir)
	}
	return a, nil
}

func (a *Assembly) read(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("cfnresolve: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("cfnresolve: %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	for id, art := range m.Artifacts {
		switch art.Type {
		case "cdk:cloud-assembly":
			if err := a.read(filepath.Join(dir, art.Properties.DirectoryName)); err != nil {
				return err
			}
		case "aws:cloudformation:stack":
			account, region, ok := parseEnvironment(art.Environment)
			if !ok {
				return fmt.Errorf("cfnresolve: stack %s has environment %q: want aws://<account>/<region> (environment-agnostic stacks cannot be resolved)", id, art.Environment)
			}
			file := filepath.Join(dir, art.Properties.TemplateFile)
			tb, err := os.ReadFile(file)
			if err != nil {
				return fmt.Errorf("cfnresolve: stack %s: %w", id, err)
			}
			var tpl map[string]any
			if err := json.Unmarshal(tb, &tpl); err != nil {
				return fmt.Errorf("cfnresolve: %s: %w", file, err)
			}
			s := &Stack{ID: id, Name: art.Properties.StackName, Path: art.DisplayName, Account: account, Region: region,
				TemplateFile: file, Template: tpl}
			if s.Name == "" { // the manifest leaves it out when it equals the artifact id
				s.Name = id
			}
			if s.Path == "" {
				s.Path = id
			}
			a.Stacks = append(a.Stacks, s)
		}
	}
	return nil
}

func parseEnvironment(env string) (account, region string, ok bool) {
	rest, found := strings.CutPrefix(env, "aws://")
	if !found {
		return "", "", false
	}
	account, region, found = strings.Cut(rest, "/")
	if !found || account == "" || region == "" || strings.Contains(account, "unknown") || strings.Contains(region, "unknown") {
		return "", "", false
	}
	return account, region, true
}

// Stack finds a stack by CloudFormation name and region, as Fn::GetStackOutput names it.
func (a *Assembly) Stack(name, region string) *Stack {
	for _, s := range a.Stacks {
		if s.Name == name && s.Region == region {
			return s
		}
	}
	return nil
}
