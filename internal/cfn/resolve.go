package cfn

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// LambdaVersion is the number every AWS::Lambda::Version resolves to: the version that a
// deployment of the template publishes after the first one, which its alias moves to, so
// that a CodeDeploy pre-traffic hook sees a move from version 1 to version 2.
const LambdaVersion = "2"

// What an estimate (Options.Estimate) assumes where nothing is known before deploy.
const (
	// EstimateAccount and EstimateRegion stand for an environment-agnostic stack's
	// account and region (ap-southeast-4 has a region name of the longest length).
	EstimateAccount = "123456789012"
	EstimateRegion  = "ap-southeast-4"
	// EstimateLength is the length of a value that cannot be known, and the length a
	// generated name is taken to have at least: CloudFormation cuts the names it
	// generates to 64 characters for most resource types.
	EstimateLength = 64
)

// unknown is what an estimate resolves an unknowable value to.
var unknown = strings.Repeat("x", EstimateLength)

// Options supply what only the target account knows, and say how to treat what nobody
// knows before the deploy. The zero value resolves as a CloudFormation hook sees a
// template, and fails on anything it cannot resolve.
type Options struct {
	// SSMParameters are the values of the SSM parameters that template parameters of type
	// AWS::SSM::Parameter::Value<...> name, e.g. "/cdk-bootstrap/hnb659fds/version".
	SSMParameters map[string]string
	// Parameters override template parameters by name. Default: each parameter's Default.
	Parameters map[string]any
	// Estimate resolves for measuring sizes, which must err on the large side (the quota
	// check): generated names are at least EstimateLength characters (within the type's
	// limit), a value that cannot be resolved (an SSM parameter, an unknown attribute or
	// function) is EstimateLength characters instead of an error, and an
	// environment-agnostic stack is in EstimateAccount and EstimateRegion. Default: exact
	// placeholders, errors for the unresolvable, no environment-agnostic stacks.
	Estimate bool
}

// Resolver resolves the intrinsic functions of a set of stacks' templates the way
// CloudFormation does: Ref, Fn::GetAtt, Fn::Sub, Fn::Join and the other functions,
// conditions, the parameters of nested stacks (from their parent), and references across
// stacks (Fn::GetStackOutput, Fn::ImportValue).
//
// Values that exist only once a resource is created (generated names, ids, ARNs) become
// placeholders in the format AWS documents for the type, derived from the stack name and
// logical id: the same on every run and for every caller, so that the ARNs a function's
// environment names are the ARNs its IAM policies name. A Resolver is safe for concurrent
// use (one resolution at a time: it remembers what it resolved).
type Resolver struct {
	mu      sync.Mutex
	stacks  []*Stack
	opts    Options
	states  map[*Stack]*state
	outputs map[string]any
	busy    map[string]bool
}

// NewResolver returns a resolver of the stacks' templates; references between stacks find
// each other among them. opts may be nil.
func NewResolver(stacks []*Stack, opts *Options) *Resolver {
	r := &Resolver{stacks: stacks, states: map[*Stack]*state{}, outputs: map[string]any{}, busy: map[string]bool{}}
	if opts != nil {
		r.opts = *opts
	}
	return r
}

// Resolver returns a resolver of every stack of the assembly.
func (a *Assembly) Resolver(opts *Options) *Resolver { return NewResolver(a.Stacks, opts) }

// state is what the resolver knows of one stack: its environment, its evaluated
// conditions and its resources' placeholders.
type state struct {
	r               *Resolver
	stack           *Stack
	account, region string
	conds           map[string]bool
	condBusy        map[string]bool
	ids             map[string]*placeholder
}

func (r *Resolver) state(s *Stack) (*state, error) {
	if st, ok := r.states[s]; ok {
		return st, nil
	}
	if s.Template == nil {
		return nil, fmt.Errorf("%s: the stack has no template", s.Name)
	}
	st := &state{r: r, stack: s, account: s.Account, region: s.Region, conds: map[string]bool{}, condBusy: map[string]bool{},
		ids: map[string]*placeholder{}}
	if st.account == "" || st.region == "" {
		if !r.opts.Estimate {
			return nil, fmt.Errorf("%s: stack %s has no explicit account and region (environment-agnostic stacks cannot be resolved, only estimated)", s.Name, cmp.Or(s.Display, s.ID))
		}
		st.account, st.region = cmp.Or(st.account, EstimateAccount), cmp.Or(st.region, EstimateRegion)
	}
	r.states[s] = st
	return st, nil
}

// noValue is what Ref AWS::NoValue resolves to: the property or list element disappears.
type noValueT struct{}

var noValue = noValueT{}

// Value returns v, a value of the stack's template, with every intrinsic function
// resolved; AWS::NoValue removes what it stands for (a lone AWS::NoValue is nil).
func (r *Resolver) Value(s *Stack, v any) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.state(s)
	if err != nil {
		return nil, err
	}
	out, err := st.value(v, "")
	if out == noValue {
		return nil, err
	}
	return out, err
}

// String resolves v and requires a string (numbers and booleans are written as
// CloudFormation joins them).
func (r *Resolver) String(s *Stack, v any) (string, error) {
	rv, err := r.Value(s, v)
	if err != nil {
		return "", err
	}
	out, err := scalar(rv)
	if err != nil {
		return "", fmt.Errorf("%s: %v does not resolve to a string: %w", s.Name, v, err)
	}
	return out, nil
}

// Ref is what Ref of name returns in the stack: a resource's placeholder, a parameter's
// value or a pseudo parameter's.
func (r *Resolver) Ref(s *Stack, name string) (string, error) {
	return r.String(s, map[string]any{"Ref": name})
}

// GetAtt is what Fn::GetAtt of a resource's attribute returns. An attribute without a
// placeholder in the format AWS documents is an error that says where to add it.
func (r *Resolver) GetAtt(s *Stack, logicalID, attribute string) (string, error) {
	return r.String(s, map[string]any{"Fn::GetAtt": []any{logicalID, attribute}})
}

// Template returns a copy of the stack's template with every intrinsic function in
// resource properties and outputs resolved, resources and outputs whose condition is false
// removed, and the Conditions and Rules sections dropped: the template a CloudFormation
// hook would judge, resource by resource. Metadata, DependsOn and the policies are copied
// unchanged.
func (r *Resolver) Template(s *Stack) (*Template, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.state(s)
	if err != nil {
		return nil, err
	}
	in := s.Template
	out := &Template{AWSTemplateFormatVersion: in.AWSTemplateFormatVersion, Description: in.Description, Transform: in.Transform,
		Metadata: in.Metadata, Parameters: in.Parameters, Mappings: in.Mappings, Resources: map[string]Resource{}}
	for _, id := range slices.Sorted(maps.Keys(in.Resources)) {
		res := in.Resources[id]
		if keep, err := st.keep(res.Condition, "Resources/"+id); err != nil || !keep {
			if err != nil {
				return nil, err
			}
			continue
		}
		res.Condition = ""
		if res.Properties != nil {
			props := make(map[string]any, len(res.Properties))
			for k, v := range res.Properties {
				rv, err := st.value(v, "Resources/"+id+"/Properties/"+k)
				if err != nil {
					return nil, err
				}
				if rv != noValue {
					props[k] = rv
				}
			}
			res.Properties = props
		}
		out.Resources[id] = res
	}
	if in.Outputs != nil {
		out.Outputs = map[string]Output{}
	}
	for _, name := range slices.Sorted(maps.Keys(in.Outputs)) {
		o := in.Outputs[name]
		keep, err := st.keep(o.Condition, "Outputs/"+name)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		o.Condition = ""
		if o.Value, err = st.value(o.Value, "Outputs/"+name+"/Value"); err != nil {
			return nil, err
		}
		if o.Export != nil {
			n, err := st.value(o.Export.Name, "Outputs/"+name+"/Export/Name")
			if err != nil {
				return nil, err
			}
			o.Export = &Export{Name: n}
		}
		out.Outputs[name] = o
	}
	return out, nil
}

// keep reports whether a resource or output with an optional condition is created.
func (st *state) keep(condition, at string) (bool, error) {
	if condition == "" {
		return true, nil
	}
	return st.condition(condition, at)
}

func (st *state) condition(name, at string) (bool, error) {
	if v, ok := st.conds[name]; ok {
		return v, nil
	}
	if st.condBusy[name] {
		return false, st.errorf(at, "condition %s refers to itself", name)
	}
	def, ok := st.stack.Template.Conditions[name]
	if !ok {
		return false, st.errorf(at, "no condition %q in the template", name)
	}
	st.condBusy[name] = true
	v, err := st.value(def, "Conditions/"+name)
	delete(st.condBusy, name)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, st.errorf("Conditions/"+name, "evaluates to %v, not a boolean", v)
	}
	st.conds[name] = b
	return b, nil
}

// value resolves every intrinsic function inside v.
func (st *state) value(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				_, named := arg.(string)
				if k == "Ref" || (k == "Condition" && named) || strings.HasPrefix(k, "Fn::") {
					return st.intrinsic(k, arg, at)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := st.value(e, at+"/"+k)
			if err != nil {
				return nil, err
			}
			if rv != noValue {
				out[k] = rv
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, e := range x {
			rv, err := st.value(e, at+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			if rv != noValue {
				out = append(out, rv)
			}
		}
		return out, nil
	}
	return v, nil
}

func (st *state) errorf(at, format string, args ...any) error {
	if at == "" {
		return fmt.Errorf("%s: %s", st.stack.Name, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s %s: %s", st.stack.Name, at, fmt.Sprintf(format, args...))
}

// intrinsic resolves one intrinsic function. An estimate takes what it cannot resolve for
// a long placeholder.
func (st *state) intrinsic(fn string, arg any, at string) (any, error) {
	v, err := st.function(fn, arg, strings.TrimPrefix(at+"/"+fn, "/"))
	if err != nil && st.r.opts.Estimate {
		return unknown, nil
	}
	return v, err
}

func (st *state) function(fn string, arg any, at string) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, st.errorf(at, "argument %v is not a name", arg)
		}
		return st.ref(name, at)
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, st.errorf(at, "argument %v is not a condition name", arg)
		}
		return st.condition(name, at)
	case "Fn::GetAtt":
		return st.getAtt(arg, at)
	case "Fn::GetStackOutput":
		return st.stackOutput(arg, at)
	case "Fn::ImportValue":
		return st.importValue(arg, at)
	case "Fn::If":
		// Only the chosen branch is resolved: the other may name what is not created.
		l, ok := arg.([]any)
		if !ok || len(l) != 3 {
			return nil, st.errorf(at, "want [condition, then, else], got %v", arg)
		}
		name, ok := l[0].(string)
		if !ok {
			return nil, st.errorf(at, "condition %v is not a name", l[0])
		}
		c, err := st.condition(name, at)
		if err != nil {
			return nil, err
		}
		if c {
			return st.value(l[1], at+"/1")
		}
		return st.value(l[2], at+"/2")
	}
	// The other functions take resolved arguments.
	v, err := st.value(arg, at)
	if err != nil {
		return nil, err
	}
	args, _ := v.([]any)
	switch fn {
	case "Fn::Join":
		if len(args) != 2 {
			return nil, st.errorf(at, "want [delimiter, [values]], got %v", v)
		}
		delim, ok := args[0].(string)
		list, ok2 := args[1].([]any)
		if !ok || !ok2 {
			return nil, st.errorf(at, "want [delimiter, [values]], got %v", v)
		}
		parts := make([]string, len(list))
		for i, p := range list {
			s, err := scalar(p)
			if err != nil {
				return nil, st.errorf(at, "element %d: %v", i, err)
			}
			parts[i] = s
		}
		return strings.Join(parts, delim), nil
	case "Fn::Sub":
		return st.sub(v, at)
	case "Fn::Select":
		if len(args) != 2 {
			return nil, st.errorf(at, "want [index, [values]], got %v", v)
		}
		is, err := scalar(args[0])
		i, err2 := strconv.Atoi(is)
		list, ok := args[1].([]any)
		if err != nil || err2 != nil || !ok || i < 0 || i >= len(list) {
			return nil, st.errorf(at, "index %v out of %v", args[0], args[1])
		}
		return list[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, st.errorf(at, "want [delimiter, string], got %v", v)
		}
		delim, ok := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok || !ok2 {
			return nil, st.errorf(at, "want [delimiter, string], got %v", v)
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::GetAZs":
		region, _ := v.(string)
		if region == "" {
			region = st.region
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::Base64":
		s, ok := v.(string)
		if !ok {
			return nil, st.errorf(at, "argument %v is not a string", v)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::FindInMap":
		return st.findInMap(args, at)
	case "Fn::Equals":
		if len(args) != 2 {
			return nil, st.errorf(at, "want two values, got %v", v)
		}
		a, err := scalar(args[0])
		b, err2 := scalar(args[1])
		if err != nil || err2 != nil {
			return nil, st.errorf(at, "cannot compare %v and %v", args[0], args[1])
		}
		return a == b, nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		bs := make([]bool, len(args))
		for i, a := range args {
			b, ok := a.(bool)
			if !ok {
				return nil, st.errorf(at, "operand %d (%v) is not a condition", i, a)
			}
			bs[i] = b
		}
		switch {
		case fn == "Fn::Not" && len(bs) == 1:
			return !bs[0], nil
		case fn == "Fn::And" && len(bs) >= 2:
			return !slices.Contains(bs, false), nil
		case fn == "Fn::Or" && len(bs) >= 2:
			return slices.Contains(bs, true), nil
		}
		return nil, st.errorf(at, "wrong number of operands: %v", v)
	}
	return nil, st.errorf(at, "intrinsic function %s is not supported: add it to internal/cfn rather than work on an unresolved template", fn)
}

// scalar renders a resolved string, number or boolean the way CloudFormation joins it.
func scalar(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%v is not a string", v)
}

func (st *state) ref(name, at string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return st.account, nil
	case "AWS::Region":
		return st.region, nil
	case "AWS::Partition":
		return Partition(st.region), nil
	case "AWS::URLSuffix":
		return URLSuffix(st.region), nil
	case "AWS::StackName":
		return st.stack.Name, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/%s", Partition(st.region), st.region, st.account,
			st.stack.Name, newGen(st.stack.Name, "AWS::StackId").uuid()), nil
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if p, ok := st.stack.Template.Parameters[name]; ok {
		return st.parameter(name, p, at)
	}
	if _, ok := st.stack.Template.Resources[name]; ok {
		ph, err := st.placeholder(name, at)
		if err != nil {
			return nil, err
		}
		return ph.ref, nil
	}
	return nil, st.errorf(at, "Ref %q names no parameter, resource or pseudo parameter", name)
}

func (st *state) parameter(name string, p Parameter, at string) (any, error) {
	if st.stack.Parent != nil {
		return st.nestedParameter(name, p, at)
	}
	if v, ok := st.r.opts.Parameters[name]; ok {
		return v, nil
	}
	if strings.HasPrefix(p.Type, "AWS::SSM::Parameter::Value<") {
		key, _ := p.Default.(string)
		if v, ok := st.r.opts.SSMParameters[key]; ok {
			return v, nil
		}
		return nil, st.errorf(at, "parameter %s reads SSM parameter %q: give its value in Options.SSMParameters", name, key)
	}
	if p.Default == nil {
		return nil, st.errorf(at, "parameter %s has no default: give its value in Options.Parameters", name)
	}
	if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
		s, _ := p.Default.(string)
		var out []any
		for _, e := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(e))
		}
		return out, nil
	}
	return p.Default, nil
}

// nestedParameter is a nested stack's parameter: the value its parent's
// AWS::CloudFormation::Stack resource passes, resolved in the parent, else its default.
func (st *state) nestedParameter(name string, p Parameter, at string) (any, error) {
	parent, err := st.r.state(st.stack.Parent)
	if err != nil {
		return nil, err
	}
	res, ok := parent.stack.Template.Resources[st.stack.ParentID]
	if !ok {
		return nil, st.errorf(at, "parent %s has no resource %s", st.stack.Parent.Name, st.stack.ParentID)
	}
	params, _ := res.Properties["Parameters"].(map[string]any)
	if v, ok := params[name]; ok {
		return parent.value(v, "Resources/"+st.stack.ParentID+"/Properties/Parameters/"+name)
	}
	if p.Default != nil {
		return p.Default, nil
	}
	return nil, st.errorf(at, "parameter %s has no default and %s/%s passes no value", name, st.stack.Parent.Name, st.stack.ParentID)
}

func (st *state) getAtt(arg any, at string) (any, error) {
	var id, attr string
	switch x := arg.(type) {
	case string:
		var ok bool
		if id, attr, ok = strings.Cut(x, "."); !ok {
			return nil, st.errorf(at, "%q is not <logical id>.<attribute>", x)
		}
	case []any:
		v, err := st.value(x, at)
		if err != nil {
			return nil, err
		}
		l, _ := v.([]any)
		if len(l) != 2 {
			return nil, st.errorf(at, "want [logical id, attribute], got %v", x)
		}
		var ok, ok2 bool
		id, ok = l[0].(string)
		attr, ok2 = l[1].(string)
		if !ok || !ok2 {
			return nil, st.errorf(at, "want [logical id, attribute], got %v", x)
		}
	default:
		return nil, st.errorf(at, "want [logical id, attribute], got %v", arg)
	}
	if _, ok := st.stack.Template.Resources[id]; !ok {
		return nil, st.errorf(at, "Fn::GetAtt names no resource %q", id)
	}
	ph, err := st.placeholder(id, at)
	if err != nil {
		return nil, err
	}
	return ph.attr(attr, st.errorf(at, "no placeholder for attribute %s of %s (%s): add it to internal/cfn/names.go", attr, id, ph.typ))
}

// sub implements Fn::Sub: "${Name}", "${Resource.Attribute}", "${!Literal}".
func (st *state) sub(v any, at string) (any, error) {
	var format string
	vars := map[string]any{}
	switch x := v.(type) {
	case string:
		format = x
	case []any:
		if len(x) != 2 {
			return nil, st.errorf(at, "want [string, {variables}], got %v", v)
		}
		var ok, ok2 bool
		format, ok = x[0].(string)
		vars, ok2 = x[1].(map[string]any)
		if !ok || !ok2 {
			return nil, st.errorf(at, "want [string, {variables}], got %v", v)
		}
	default:
		return nil, st.errorf(at, "want a string or [string, {variables}], got %v", v)
	}
	var out strings.Builder
	for {
		i := strings.Index(format, "${")
		if i < 0 {
			out.WriteString(format)
			return out.String(), nil
		}
		out.WriteString(format[:i])
		j := strings.Index(format[i:], "}")
		if j < 0 {
			return nil, st.errorf(at, "unterminated ${ in %q", format)
		}
		name := format[i+2 : i+j]
		format = format[i+j+1:]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			out.WriteString("${" + lit + "}")
			continue
		}
		var val any
		var err error
		if vv, ok := vars[name]; ok {
			val = vv
		} else if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			val, err = st.getAtt(id+"."+attr, at)
		} else {
			val, err = st.ref(name, at)
		}
		if err != nil {
			return nil, err
		}
		s, err := scalar(val)
		if err != nil {
			return nil, st.errorf(at, "${%s}: %v", name, err)
		}
		out.WriteString(s)
	}
}

func (st *state) findInMap(args []any, at string) (any, error) {
	if len(args) != 3 {
		return nil, st.errorf(at, "want [map, top key, second key], got %v", args)
	}
	keys := make([]string, 3)
	for i, a := range args {
		s, err := scalar(a)
		if err != nil {
			return nil, st.errorf(at, "key %d: %v", i, err)
		}
		keys[i] = s
	}
	v, ok := st.stack.Template.Mappings[keys[0]][keys[1]][keys[2]]
	if !ok {
		return nil, st.errorf(at, "no mapping %s/%s/%s", keys[0], keys[1], keys[2])
	}
	return v, nil
}

// stackOutput resolves CDK's weak cross-stack reference to the producing stack's output
// value, resolved in that stack.
func (st *state) stackOutput(arg any, at string) (any, error) {
	v, err := st.value(arg, at)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	name, _ := m["StackName"].(string)
	output, _ := m["OutputName"].(string)
	region, _ := m["Region"].(string)
	if region == "" {
		region = st.region
	}
	if name == "" || output == "" {
		return nil, st.errorf(at, "want {StackName, OutputName[, Region]}, got %v", v)
	}
	for _, s := range st.r.stacks {
		if s.Name != name {
			continue
		}
		producer, err := st.r.state(s)
		if err != nil {
			return nil, err
		}
		if producer.region == region {
			return producer.output(output, at)
		}
	}
	return nil, st.errorf(at, "no stack %s in %s among the stacks resolved", name, region)
}

// output is the value of one of the stack's outputs, resolved in the stack, once per
// Resolver.
func (st *state) output(name, at string) (any, error) {
	key := st.region + "/" + st.stack.Name + "/" + name
	if v, ok := st.r.outputs[key]; ok {
		return v, nil
	}
	if st.r.busy[key] {
		return nil, fmt.Errorf("%s: output %s of %s refers back to itself", at, name, st.stack.Name)
	}
	o, ok := st.stack.Template.Outputs[name]
	if !ok {
		return nil, fmt.Errorf("%s: stack %s has no output %s", at, st.stack.Name, name)
	}
	st.r.busy[key] = true
	defer delete(st.r.busy, key)
	if keep, err := st.keep(o.Condition, "Outputs/"+name); err != nil || !keep {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: output %s of %s is not created (its condition is false)", at, name, st.stack.Name)
	}
	v, err := st.value(o.Value, "Outputs/"+name+"/Value")
	if err != nil {
		return nil, err
	}
	st.r.outputs[key] = v
	return v, nil
}

// importValue resolves Fn::ImportValue to the output that exports that name, in the same
// account and region.
func (st *state) importValue(arg any, at string) (any, error) {
	v, err := st.value(arg, at)
	if err != nil {
		return nil, err
	}
	want, ok := v.(string)
	if !ok {
		return nil, st.errorf(at, "export name %v is not a string", v)
	}
	for _, s := range st.r.stacks {
		if (s.Account != "" && s.Account != st.account) || (s.Region != "" && s.Region != st.region) {
			continue
		}
		exporter, err := st.r.state(s)
		if err != nil || exporter.account != st.account || exporter.region != st.region {
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(s.Template.Outputs)) {
			exp := s.Template.Outputs[name].Export
			if exp == nil {
				continue
			}
			n, err := exporter.value(exp.Name, "Outputs/"+name+"/Export/Name")
			if err != nil {
				return nil, err
			}
			if n == want {
				return exporter.output(name, at)
			}
		}
	}
	return nil, st.errorf(at, "no stack in %s/%s exports %q", st.account, st.region, want)
}
