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
	"fmt"

	"github.com/example/notesplatform/internal/cfn"
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
	// Parent and ParentID locate a nested stack's AWS::CloudFormation::Stack resource,
	// whose Parameters give the nested template's parameters their values.
	Parent   *Stack
	ParentID string
}

// Assembly is every stack of a cloud assembly, nested assemblies (CDK stages) included.
type Assembly struct {
	Stacks []*Stack
}

// Read loads the stacks of the cloud assembly in dir (cdk.out or a test's outdir), the
// nested stacks (route shards) after their parents.
func Read(dir string) (*Assembly, error) {
	asm, err := cfn.Read(dir)
	if err != nil {
		return nil, fmt.Errorf("cfnresolve: %w", err)
	}
	a := &Assembly{}
	ours := map[*cfn.Stack]*Stack{}
	for _, s := range asm.Stacks { // parents come before their nested stacks
		if s.Account == "" || s.Region == "" {
			return nil, fmt.Errorf("cfnresolve: stack %s has no explicit account and region (environment-agnostic stacks cannot be resolved)", s.ID)
		}
		st := &Stack{ID: s.ID, Name: s.Name, Path: s.Display, Account: s.Account, Region: s.Region,
			TemplateFile: s.TemplateFile, Template: s.Template, ParentID: s.ParentID}
		if s.Parent != nil {
			if st.Parent = ours[s.Parent]; st.Parent == nil {
				return nil, fmt.Errorf("cfnresolve: nested stack %s comes before its parent %s", s.ID, s.Parent.ID)
			}
		}
		ours[s] = st
		a.Stacks = append(a.Stacks, st)
	}
	if len(a.Stacks) == 0 {
		return nil, fmt.Errorf("cfnresolve: no stacks in the cloud assembly %s", dir)
	}
	return a, nil
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
