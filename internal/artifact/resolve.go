package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Resolver gives every resource of a stage a local physical id shaped like the one
// CloudFormation would give it (stack name, logical id and a random-looking suffix;
// deterministic here), and resolves template values to those ids. The functions'
// environment is resolved with it, and IAM policies must be resolved with the same
// Resolver, so that the ARNs the functions call are the ARNs their policies name.
type Resolver struct {
	asm *Assembly
}

// NewResolver returns the resolver of a stage.
func NewResolver(a *Assembly) *Resolver { return &Resolver{asm: a} }

// noValue stands for AWS::NoValue: the property is removed.
type noValue struct{}

// Resolve returns v with every intrinsic function replaced by its value: Ref, Fn::GetAtt,
// Fn::GetStackOutput, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and the pseudo parameters.
// Anything else is an error that names it, never a silent guess.
func (r *Resolver) Resolve(s *Stack, v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(s, k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			rv, err := r.Resolve(s, e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); !skip {
				out[k] = rv
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			rv, err := r.Resolve(s, e)
			if err != nil {
				return nil, err
			}
			if _, skip := rv.(noValue); !skip {
				out = append(out, rv)
			}
		}
		return out, nil
	}
	return v, nil
}

// String resolves v and requires a string.
func (r *Resolver) String(s *Stack, v any) (string, error) {
	rv, err := r.Resolve(s, v)
	if err != nil {
		return "", err
	}
	switch x := rv.(type) {
	case string:
		return x, nil
	case float64:
		return fmt.Sprint(x), nil
	case bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("%s: %v does not resolve to a string", s.Name, v)
}

func (r *Resolver) intrinsic(s *Stack, fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("%s: Ref of %v: want a logical id", s.Name, arg)
		}
		if strings.HasPrefix(name, "AWS::") {
			return r.pseudo(s, name)
		}
		return r.Ref(s, name)
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		if id == "" || attr == "" {
			return nil, fmt.Errorf("%s: Fn::GetAtt %v: want [logicalId, attribute]", s.Name, arg)
		}
		return r.GetAtt(s, id, attr)
	case "Fn::GetStackOutput":
		a, _ := arg.(map[string]any)
		stackName, _ := a["StackName"].(string)
		output, _ := a["OutputName"].(string)
		other := r.asm.StackNamed(stackName)
		if other == nil {
			return nil, fmt.Errorf("%s: Fn::GetStackOutput names stack %q, which is not in stage %s", s.Name, stackName, r.asm.Stage)
		}
		o, ok := other.Outputs[output]
		if !ok {
			return nil, fmt.Errorf("%s: Fn::GetStackOutput names output %q, which stack %s does not have", s.Name, output, stackName)
		}
		return r.Resolve(other, o.Value)
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Join %v: want [separator, [values]]", s.Name, arg)
		}
		sep, _ := a[0].(string)
		list, err := r.Resolve(s, a[1])
		if err != nil {
			return nil, err
		}
		parts, _ := list.([]any)
		strs := make([]string, len(parts))
		for i, p := range parts {
			if strs[i], err = r.String(s, p); err != nil {
				return nil, err
			}
		}
		return strings.Join(strs, sep), nil
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Select %v: want [index, list]", s.Name, arg)
		}
		idx, err := r.String(s, a[0])
		if err != nil {
			return nil, err
		}
		list, err := r.Resolve(s, a[1])
		if err != nil {
			return nil, err
		}
		parts, _ := list.([]any)
		var i int
		if _, err := fmt.Sscan(idx, &i); err != nil || i < 0 || i >= len(parts) {
			return nil, fmt.Errorf("%s: Fn::Select index %s out of range of %v", s.Name, idx, parts)
		}
		return parts[i], nil
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("%s: Fn::Split %v: want [separator, string]", s.Name, arg)
		}
		sep, _ := a[0].(string)
		str, err := r.String(s, a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(str, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Sub":
		tpl, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			tpl = a
		case []any:
			if len(a) == 2 {
				tpl, _ = a[0].(string)
				vars, _ = a[1].(map[string]any)
			}
		}
		var firstErr error
		out := subPattern.ReplaceAllStringFunc(tpl, func(m string) string {
			name := m[2 : len(m)-1]
			if strings.HasPrefix(name, "!") {
				return "${" + name[1:] + "}"
			}
			var v any
			var err error
			if val, ok := vars[name]; ok {
				v, err = r.String(s, val)
			} else if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
				v, err = r.GetAtt(s, id, attr)
			} else if strings.HasPrefix(name, "AWS::") {
				v, err = r.pseudo(s, name)
			} else {
				v, err = r.Ref(s, name)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return fmt.Sprint(v)
		})
		return out, firstErr
	}
	return nil, fmt.Errorf("%s: %s is not supported by the artifact tests' resolver: add it to test/artifact/resolve.go", s.Name, fn)
}

var subPattern = regexp.MustCompile(`\$\{[^}]+\}`)

func (r *Resolver) pseudo(s *Stack, name string) (any, error) {
	switch name {
	case "AWS::AccountId":
		return s.Account, nil
	case "AWS::Region":
		return s.Region, nil
	case "AWS::Partition":
		return partition(s.Region), nil
	case "AWS::URLSuffix":
		if strings.HasPrefix(s.Region, "cn-") {
			return "amazonaws.com.cn", nil
		}
		return "amazonaws.com", nil
	case "AWS::StackName":
		return s.Name, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/%s", partition(s.Region), s.Region, s.Account, s.Name, uuidOf(s.Name)), nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	return nil, fmt.Errorf("%s: pseudo parameter %s is not supported by the artifact tests' resolver", s.Name, name)
}

func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

func (r *Resolver) resource(s *Stack, id string) (Resource, error) {
	res, ok := s.Resources[id]
	if !ok {
		return Resource{}, fmt.Errorf("%s: reference to %s, which is not a resource of the stack", s.Name, id)
	}
	return res, nil
}

// name is the physical name of a resource: the template's explicit name property when it
// has one, else stack name, logical id and a suffix, as CloudFormation makes them.
func (r *Resolver) name(s *Stack, id string, res Resource, prop string, max int, lower bool) (string, error) {
	if v, ok := res.Properties[prop]; ok && prop != "" {
		return r.String(s, v)
	}
	n := s.Name + "-" + id
	suffix := strings.ToUpper(hashOf(s.Name + "/" + id)[:12])
	if len(n)+1+len(suffix) > max {
		n = n[:max-1-len(suffix)]
	}
	n += "-" + suffix
	if lower {
		n = strings.ToLower(n)
	}
	return n, nil
}

// Ref is what Ref returns for a resource of the stack.
func (r *Resolver) Ref(s *Stack, id string) (string, error) {
	res, err := r.resource(s, id)
	if err != nil {
		return "", err
	}
	p := partition(s.Region)
	switch res.Type {
	case "AWS::DynamoDB::Table":
		return r.name(s, id, res, "TableName", 255, false)
	case "AWS::SecretsManager::Secret":
		n, err := r.name(s, id, res, "Name", 512, false)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-%s", p, s.Region, s.Account, n, hashOf(n)[:6]), nil
	case "AWS::KMS::Key":
		return uuidOf(s.Name + "/" + id), nil
	case "AWS::IAM::Role":
		return r.name(s, id, res, "RoleName", 64, false)
	case "AWS::IAM::ManagedPolicy":
		n, err := r.name(s, id, res, "ManagedPolicyName", 128, false)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:iam::%s:policy/%s", p, s.Account, n), nil
	case "AWS::IAM::Policy":
		return r.name(s, id, res, "PolicyName", 128, false)
	case "AWS::Logs::LogGroup":
		return r.name(s, id, res, "LogGroupName", 512, false)
	case "AWS::Lambda::Function":
		return r.name(s, id, res, "FunctionName", 64, false)
	case "AWS::Lambda::Version": // the qualified ARN of the version
		fn, err := r.String(s, res.Properties["FunctionName"])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s:%s", p, s.Region, s.Account, fn, VersionNumber), nil
	case "AWS::Lambda::Alias":
		fn, err := r.String(s, res.Properties["FunctionName"])
		if err != nil {
			return "", err
		}
		alias, err := r.String(s, res.Properties["Name"])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s:%s", p, s.Region, s.Account, fn, alias), nil
	case "AWS::CodeDeploy::Application":
		return r.name(s, id, res, "ApplicationName", 100, false)
	case "AWS::CodeDeploy::DeploymentGroup":
		return r.name(s, id, res, "DeploymentGroupName", 100, false)
	case "AWS::S3::Bucket":
		return r.name(s, id, res, "BucketName", 63, true)
	case "AWS::SNS::Topic":
		n, err := r.name(s, id, res, "TopicName", 256, false)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("arn:%s:sns:%s:%s:%s", p, s.Region, s.Account, n), nil
	case "AWS::Cognito::UserPool":
		return s.Region + "_" + strings.ToUpper(hashOf(s.Name + "/" + id)[:9]), nil
	case "AWS::ApiGateway::RestApi":
		return hashOf(s.Name + "/" + id)[:10], nil
	}
	return r.name(s, id, res, "", 255, false)
}

// GetAtt is what Fn::GetAtt returns for a resource of the stack. Unknown combinations are
// an error, so that a new kind of reference is added here rather than guessed.
func (r *Resolver) GetAtt(s *Stack, id, attr string) (string, error) {
	res, err := r.resource(s, id)
	if err != nil {
		return "", err
	}
	ref, err := r.Ref(s, id)
	if err != nil {
		return "", err
	}
	p := partition(s.Region)
	key := res.Type + "." + attr
	switch key {
	case "AWS::DynamoDB::Table.Arn":
		return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, s.Region, s.Account, ref), nil
	case "AWS::DynamoDB::Table.StreamArn":
		return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s/stream/1970-01-01T00:00:00.000", p, s.Region, s.Account, ref), nil
	case "AWS::SecretsManager::Secret.Id":
		return ref, nil
	case "AWS::KMS::Key.Arn":
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, s.Region, s.Account, ref), nil
	case "AWS::KMS::Key.KeyId":
		return ref, nil
	case "AWS::IAM::Role.Arn":
		path, _ := res.Properties["Path"].(string)
		return fmt.Sprintf("arn:%s:iam::%s:role%s%s", p, s.Account, cmpOrSlash(path), ref), nil
	case "AWS::IAM::Role.RoleId":
		return "AROA" + strings.ToUpper(hashOf(ref)[:17]), nil
	case "AWS::IAM::ManagedPolicy.PolicyArn":
		return ref, nil
	case "AWS::Logs::LogGroup.Arn":
		return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p, s.Region, s.Account, ref), nil
	case "AWS::Lambda::Function.Arn":
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, s.Region, s.Account, ref), nil
	case "AWS::Lambda::Version.Version":
		return VersionNumber, nil
	case "AWS::Lambda::Version.FunctionArn":
		return ref, nil
	case "AWS::Lambda::Alias.AliasArn":
		return ref, nil
	case "AWS::S3::Bucket.Arn":
		return fmt.Sprintf("arn:%s:s3:::%s", p, ref), nil
	case "AWS::S3::Bucket.DomainName":
		return ref + ".s3.amazonaws.com", nil
	case "AWS::S3::Bucket.RegionalDomainName":
		return fmt.Sprintf("%s.s3.%s.amazonaws.com", ref, s.Region), nil
	case "AWS::SNS::Topic.TopicArn":
		return ref, nil
	case "AWS::SNS::Topic.TopicName":
		return ref[strings.LastIndexByte(ref, ':')+1:], nil
	case "AWS::Cognito::UserPool.Arn":
		return fmt.Sprintf("arn:%s:cognito-idp:%s:%s:userpool/%s", p, s.Region, s.Account, ref), nil
	case "AWS::Cognito::UserPool.ProviderName":
		return fmt.Sprintf("cognito-idp.%s.amazonaws.com/%s", s.Region, ref), nil
	case "AWS::Cognito::UserPool.ProviderURL":
		return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", s.Region, ref), nil
	case "AWS::ApiGateway::RestApi.RootResourceId":
		return hashOf(ref)[:10], nil
	}
	return "", fmt.Errorf("%s: Fn::GetAtt %s.%s (%s) is not supported by the artifact tests' resolver: add it to test/artifact/resolve.go", s.Name, id, attr, key)
}

// VersionNumber is the number every AWS::Lambda::Version of the stage resolves to: the
// version a deployment of this template publishes, which its alias moves to.
const VersionNumber = "2"

func cmpOrSlash(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// uuidOf is a deterministic UUID-shaped id (KMS key ids, stack ids).
func uuidOf(s string) string {
	h := hashOf(s)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// Environment resolves a function's environment variables.
func (r *Resolver) Environment(f *Function) (map[string]string, error) {
	out := make(map[string]string, len(f.Environment))
	keys := make([]string, 0, len(f.Environment))
	for k := range f.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := r.String(f.Stack, f.Environment[k])
		if err != nil {
			return nil, fmt.Errorf("%s: environment variable %s: %w", f.Name, k, err)
		}
		out[k] = v
	}
	return out, nil
}
