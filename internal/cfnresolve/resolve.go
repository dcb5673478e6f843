package cfnresolve

import (
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Options supplies what only the target account knows. The zero value is valid.
type Options struct {
	// SSMParameters are the values of the SSM parameters that template parameters of type
	// AWS::SSM::Parameter::Value<...> name, e.g. "/cdk-bootstrap/hnb659fds/version".
	SSMParameters map[string]string
	// Parameters override template parameters by name. Default: each parameter's Default.
	Parameters map[string]any
}

// noValue is what Ref AWS::NoValue resolves to: the property or list element disappears.
type noValueT struct{}

var noValue = noValueT{}

// Resolve returns a copy of the stack's template with every intrinsic function in resource
// properties and outputs resolved, resources and outputs whose condition is false removed,
// and the Conditions and Rules sections dropped: the template a CloudFormation hook would
// judge, resource by resource. Metadata, DependsOn and policies are copied unchanged.
func (a *Assembly) Resolve(s *Stack, opts *Options) (map[string]any, error) {
	if opts == nil {
		opts = &Options{}
	}
	sess := &session{asm: a, opts: opts, resolvers: map[*Stack]*resolver{}, outputs: map[string]any{}, busy: map[string]bool{}}
	return sess.resolver(s).template()
}

// session shares resolved outputs between the stacks that one Resolve call visits.
type session struct {
	asm       *Assembly
	opts      *Options
	resolvers map[*Stack]*resolver
	outputs   map[string]any
	busy      map[string]bool
}

func (sess *session) resolver(s *Stack) *resolver {
	if r, ok := sess.resolvers[s]; ok {
		return r
	}
	r := &resolver{sess: sess, stack: s, tpl: s.Template, conds: map[string]bool{}, condBusy: map[string]bool{},
		ids: map[string]*placeholder{}}
	r.resources, _ = s.Template["Resources"].(map[string]any)
	sess.resolvers[s] = r
	return r
}

type resolver struct {
	sess      *session
	stack     *Stack
	tpl       map[string]any
	resources map[string]any
	conds     map[string]bool
	condBusy  map[string]bool
	ids       map[string]*placeholder
}

func (r *resolver) template() (map[string]any, error) {
	out := map[string]any{}
	for k, v := range r.tpl {
		switch k {
		case "Resources", "Outputs", "Conditions", "Rules":
		default:
			out[k] = v
		}
	}
	resources := map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(r.resources)) {
		res, ok := r.resources[id].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: resource %s is not an object", r.stack.Name, id)
		}
		keep, err := r.keep(res, "Resources/"+id)
		if err != nil || !keep {
			if err != nil {
				return nil, err
			}
			continue
		}
		copied := maps.Clone(res)
		delete(copied, "Condition")
		if props, ok := res["Properties"]; ok {
			v, err := r.value(props, "Resources/"+id+"/Properties")
			if err != nil {
				return nil, err
			}
			copied["Properties"] = v
		}
		resources[id] = copied
	}
	out["Resources"] = resources
	if outs, ok := r.tpl["Outputs"].(map[string]any); ok {
		resolved := map[string]any{}
		for _, name := range slices.Sorted(maps.Keys(outs)) {
			o, _ := outs[name].(map[string]any)
			keep, err := r.keep(o, "Outputs/"+name)
			if err != nil {
				return nil, err
			}
			if !keep {
				continue
			}
			copied := maps.Clone(o)
			delete(copied, "Condition")
			for _, k := range []string{"Value", "Export"} {
				if v, ok := o[k]; ok {
					if copied[k], err = r.value(v, "Outputs/"+name+"/"+k); err != nil {
						return nil, err
					}
				}
			}
			resolved[name] = copied
		}
		out["Outputs"] = resolved
	}
	return out, nil
}

// keep reports whether a resource or output with an optional Condition is created.
func (r *resolver) keep(item map[string]any, at string) (bool, error) {
	c, ok := item["Condition"]
	if !ok {
		return true, nil
	}
	name, ok := c.(string)
	if !ok {
		return false, fmt.Errorf("%s %s: Condition %v is not a condition name", r.stack.Name, at, c)
	}
	return r.condition(name, at)
}

func (r *resolver) condition(name, at string) (bool, error) {
	if v, ok := r.conds[name]; ok {
		return v, nil
	}
	if r.condBusy[name] {
		return false, fmt.Errorf("%s %s: condition %s refers to itself", r.stack.Name, at, name)
	}
	conds, _ := r.tpl["Conditions"].(map[string]any)
	def, ok := conds[name]
	if !ok {
		return false, fmt.Errorf("%s %s: no condition %q in the template", r.stack.Name, at, name)
	}
	r.condBusy[name] = true
	v, err := r.value(def, "Conditions/"+name)
	delete(r.condBusy, name)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s Conditions/%s: evaluates to %v, not a boolean", r.stack.Name, name, v)
	}
	r.conds[name] = b
	return b, nil
}

// value resolves every intrinsic function inside v.
func (r *resolver) value(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				_, named := arg.(string)
				if k == "Ref" || (k == "Condition" && named) || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg, at)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.value(e, at+"/"+k)
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
			rv, err := r.value(e, at+"/"+strconv.Itoa(i))
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

func (r *resolver) errorf(at, format string, args ...any) error {
	return fmt.Errorf("%s %s: %s", r.stack.Name, at, fmt.Sprintf(format, args...))
}

func (r *resolver) intrinsic(fn string, arg any, at string) (any, error) {
	at = at + "/" + fn
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, r.errorf(at, "argument %v is not a name", arg)
		}
		return r.ref(name, at)
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, r.errorf(at, "argument %v is not a condition name", arg)
		}
		return r.condition(name, at)
	case "Fn::GetAtt":
		return r.getAtt(arg, at)
	case "Fn::GetStackOutput":
		return r.stackOutput(arg, at)
	case "Fn::ImportValue":
		return r.importValue(arg, at)
	case "Fn::If":
		// Only the chosen branch is resolved: the other may name what is not created.
		l, ok := arg.([]any)
		if !ok || len(l) != 3 {
			return nil, r.errorf(at, "want [condition, then, else], got %v", arg)
		}
		name, ok := l[0].(string)
		if !ok {
			return nil, r.errorf(at, "condition %v is not a name", l[0])
		}
		c, err := r.condition(name, at)
		if err != nil {
			return nil, err
		}
		if c {
			return r.value(l[1], at+"/1")
		}
		return r.value(l[2], at+"/2")
	}
	// The other functions take resolved arguments.
	v, err := r.value(arg, at)
	if err != nil {
		return nil, err
	}
	args, _ := v.([]any)
	switch fn {
	case "Fn::Join":
		if len(args) != 2 {
			return nil, r.errorf(at, "want [delimiter, [values]], got %v", v)
		}
		delim, ok := args[0].(string)
		list, ok2 := args[1].([]any)
		if !ok || !ok2 {
			return nil, r.errorf(at, "want [delimiter, [values]], got %v", v)
		}
		parts := make([]string, len(list))
		for i, p := range list {
			s, err := scalar(p)
			if err != nil {
				return nil, r.errorf(at, "element %d: %v", i, err)
			}
			parts[i] = s
		}
		return strings.Join(parts, delim), nil
	case "Fn::Sub":
		return r.sub(v, at)
	case "Fn::Select":
		if len(args) != 2 {
			return nil, r.errorf(at, "want [index, [values]], got %v", v)
		}
		is, err := scalar(args[0])
		i, err2 := strconv.Atoi(is)
		list, ok := args[1].([]any)
		if err != nil || err2 != nil || !ok || i < 0 || i >= len(list) {
			return nil, r.errorf(at, "index %v out of %v", args[0], args[1])
		}
		return list[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, r.errorf(at, "want [delimiter, string], got %v", v)
		}
		delim, ok := args[0].(string)
		s, ok2 := args[1].(string)
		if !ok || !ok2 {
			return nil, r.errorf(at, "want [delimiter, string], got %v", v)
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::GetAZs":
		region, _ := v.(string)
		if region == "" {
			region = r.stack.Region
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::Base64":
		s, ok := v.(string)
		if !ok {
			return nil, r.errorf(at, "argument %v is not a string", v)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::FindInMap":
		return r.findInMap(args, at)
	case "Fn::Equals":
		if len(args) != 2 {
			return nil, r.errorf(at, "want two values, got %v", v)
		}
		a, err := scalar(args[0])
		b, err2 := scalar(args[1])
		if err != nil || err2 != nil {
			return nil, r.errorf(at, "cannot compare %v and %v", args[0], args[1])
		}
		return a == b, nil
	case "Fn::Not", "Fn::And", "Fn::Or":
		bs := make([]bool, len(args))
		for i, a := range args {
			b, ok := a.(bool)
			if !ok {
				return nil, r.errorf(at, "operand %d (%v) is not a condition", i, a)
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
		return nil, r.errorf(at, "wrong number of operands: %v", v)
	}
	return nil, r.errorf(at, "intrinsic function %s is not supported by cfnresolve: add it (internal/cfnresolve) rather than judge an unresolved template", fn)
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

func (r *resolver) ref(name, at string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return r.stack.Account, nil
	case "AWS::Region":
		return r.stack.Region, nil
	case "AWS::Partition":
		return partition(r.stack.Region), nil
	case "AWS::URLSuffix":
		return urlSuffix(r.stack.Region), nil
	case "AWS::StackName":
		return r.stack.Name, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/%s", partition(r.stack.Region), r.stack.Region, r.stack.Account,
			r.stack.Name, newGen(r.stack.Name, "AWS::StackId").uuid()), nil
	case "AWS::NoValue":
		return noValue, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if params, ok := r.tpl["Parameters"].(map[string]any); ok {
		if p, ok := params[name].(map[string]any); ok {
			return r.parameter(name, p, at)
		}
	}
	if _, ok := r.resources[name]; ok {
		ph, err := r.placeholder(name, at)
		if err != nil {
			return nil, err
		}
		return ph.ref, nil
	}
	return nil, r.errorf(at, "Ref %q names no parameter, resource or pseudo parameter", name)
}

func (r *resolver) parameter(name string, p map[string]any, at string) (any, error) {
	if r.stack.Parent != nil {
		return r.nestedParameter(name, p, at)
	}
	if v, ok := r.sess.opts.Parameters[name]; ok {
		return v, nil
	}
	typ, _ := p["Type"].(string)
	def, hasDefault := p["Default"]
	if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") {
		key, _ := def.(string)
		if v, ok := r.sess.opts.SSMParameters[key]; ok {
			return v, nil
		}
		return nil, r.errorf(at, "parameter %s reads SSM parameter %q: give its value in Options.SSMParameters", name, key)
	}
	if !hasDefault {
		return nil, r.errorf(at, "parameter %s has no default: give its value in Options.Parameters", name)
	}
	if strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" {
		s, _ := def.(string)
		var out []any
		for _, e := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(e))
		}
		return out, nil
	}
	return def, nil
}

// nestedParameter is a nested stack's parameter: the value its parent's
// AWS::CloudFormation::Stack resource passes, resolved in the parent, else its default.
func (r *resolver) nestedParameter(name string, p map[string]any, at string) (any, error) {
	parent := r.sess.resolver(r.stack.Parent)
	res, _ := parent.resources[r.stack.ParentID].(map[string]any)
	if res == nil {
		return nil, r.errorf(at, "parent %s has no resource %s", r.stack.Parent.Name, r.stack.ParentID)
	}
	props, _ := res["Properties"].(map[string]any)
	params, _ := props["Parameters"].(map[string]any)
	if v, ok := params[name]; ok {
		return parent.value(v, "Resources/"+r.stack.ParentID+"/Properties/Parameters/"+name)
	}
	if def, ok := p["Default"]; ok {
		return def, nil
	}
	return nil, r.errorf(at, "parameter %s has no default and %s/%s passes no value", name, r.stack.Parent.Name, r.stack.ParentID)
}

func (r *resolver) getAtt(arg any, at string) (any, error) {
	var id, attr string
	switch x := arg.(type) {
	case string:
		var ok bool
		if id, attr, ok = strings.Cut(x, "."); !ok {
			return nil, r.errorf(at, "%q is not <logical id>.<attribute>", x)
		}
	case []any:
		v, err := r.value(x, at)
		if err != nil {
			return nil, err
		}
		l, _ := v.([]any)
		if len(l) != 2 {
			return nil, r.errorf(at, "want [logical id, attribute], got %v", x)
		}
		var ok, ok2 bool
		id, ok = l[0].(string)
		attr, ok2 = l[1].(string)
		if !ok || !ok2 {
			return nil, r.errorf(at, "want [logical id, attribute], got %v", x)
		}
	default:
		return nil, r.errorf(at, "want [logical id, attribute], got %v", arg)
	}
	if _, ok := r.resources[id]; !ok {
		return nil, r.errorf(at, "Fn::GetAtt names no resource %q", id)
	}
	ph, err := r.placeholder(id, at)
	if err != nil {
		return nil, err
	}
	return ph.attr(attr, r.errorf(at, "no placeholder for attribute %s of %s (%s): add it to internal/cfnresolve/names.go", attr, id, ph.typ))
}

// sub implements Fn::Sub: "${Name}", "${Resource.Attribute}", "${!Literal}".
func (r *resolver) sub(v any, at string) (any, error) {
	var format string
	vars := map[string]any{}
	switch x := v.(type) {
	case string:
		format = x
	case []any:
		if len(x) != 2 {
			return nil, r.errorf(at, "want [string, {variables}], got %v", v)
		}
		var ok, ok2 bool
		format, ok = x[0].(string)
		vars, ok2 = x[1].(map[string]any)
		if !ok || !ok2 {
			return nil, r.errorf(at, "want [string, {variables}], got %v", v)
		}
	default:
		return nil, r.errorf(at, "want a string or [string, {variables}], got %v", v)
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
			return nil, r.errorf(at, "unterminated ${ in %q", format)
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
			val, err = r.getAtt(id+"."+attr, at)
		} else {
			val, err = r.ref(name, at)
		}
		if err != nil {
			return nil, err
		}
		s, err := scalar(val)
		if err != nil {
			return nil, r.errorf(at, "${%s}: %v", name, err)
		}
		out.WriteString(s)
	}
}

func (r *resolver) findInMap(args []any, at string) (any, error) {
	if len(args) != 3 {
		return nil, r.errorf(at, "want [map, top key, second key], got %v", args)
	}
	mappings, _ := r.tpl["Mappings"].(map[string]any)
	keys := make([]string, 3)
	for i, a := range args {
		s, err := scalar(a)
		if err != nil {
			return nil, r.errorf(at, "key %d: %v", i, err)
		}
		keys[i] = s
	}
	m, _ := mappings[keys[0]].(map[string]any)
	top, _ := m[keys[1]].(map[string]any)
	v, ok := top[keys[2]]
	if !ok {
		return nil, r.errorf(at, "no mapping %s/%s/%s", keys[0], keys[1], keys[2])
	}
	return v, nil
}

// stackOutput resolves CDK's weak cross-stack reference to the producing stack's output
// value, resolved in that stack.
func (r *resolver) stackOutput(arg any, at string) (any, error) {
	v, err := r.value(arg, at)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	name, _ := m["StackName"].(string)
	output, _ := m["OutputName"].(string)
	region, _ := m["Region"].(string)
	if region == "" {
		region = r.stack.Region
	}
	if name == "" || output == "" {
		return nil, r.errorf(at, "want {StackName, OutputName[, Region]}, got %v", v)
	}
	producer := r.sess.asm.Stack(name, region)
	if producer == nil {
		return nil, r.errorf(at, "no stack %s in %s in the assembly", name, region)
	}
	return r.sess.output(producer, output, at)
}

func (sess *session) output(producer *Stack, name, at string) (any, error) {
	key := producer.Region + "/" + producer.Name + "/" + name
	if v, ok := sess.outputs[key]; ok {
		return v, nil
	}
	if sess.busy[key] {
		return nil, fmt.Errorf("%s: output %s of %s refers back to itself", at, name, producer.Name)
	}
	outs, _ := producer.Template["Outputs"].(map[string]any)
	o, ok := outs[name].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: stack %s has no output %s", at, producer.Name, name)
	}
	sess.busy[key] = true
	defer delete(sess.busy, key)
	pr := sess.resolver(producer)
	if keep, err := pr.keep(o, "Outputs/"+name); err != nil || !keep {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s: output %s of %s is not created (its condition is false)", at, name, producer.Name)
	}
	v, err := pr.value(o["Value"], "Outputs/"+name+"/Value")
	if err != nil {
		return nil, err
	}
	sess.outputs[key] = v
	return v, nil
}

// importValue resolves Fn::ImportValue to the output that exports that name, in the same
// account and region.
func (r *resolver) importValue(arg any, at string) (any, error) {
	v, err := r.value(arg, at)
	if err != nil {
		return nil, err
	}
	want, ok := v.(string)
	if !ok {
		return nil, r.errorf(at, "export name %v is not a string", v)
	}
	for _, s := range r.sess.asm.Stacks {
		if s.Account != r.stack.Account || s.Region != r.stack.Region {
			continue
		}
		outs, _ := s.Template["Outputs"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(outs)) {
			o, _ := outs[name].(map[string]any)
			exp, ok := o["Export"].(map[string]any)
			if !ok {
				continue
			}
			n, err := r.sess.resolver(s).value(exp["Name"], "Outputs/"+name+"/Export/Name")
			if err != nil {
				return nil, err
			}
			if n == want {
				return r.sess.output(s, name, at)
			}
		}
	}
	return nil, r.errorf(at, "no stack in %s/%s exports %q", r.stack.Account, r.stack.Region, want)
}
