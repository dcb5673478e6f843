package cfn

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// tplToken is a {placeholder} in a kind's format.
var tplToken = regexp.MustCompile(`\{[a-zA-Z]+(?::[A-Za-z0-9]+)?\}`)

// kind describes what Ref and Fn::GetAtt return for a resource type, in the format AWS
// documents for that type. Templates use {name} (the physical name: the name property if
// the template sets one, else a CloudFormation-style generated name), {id} (the type's
// generated identifier), {partition}, {region}, {account}, {suffix} (the URL suffix),
// {uuid}, {path} (the resolved Path property, "/" without one) and {prop:Name} (a
// resolved property of the resource).
type kind struct {
	nameProp string            // the property that names the resource, if any
	lower    bool              // generated names are lower case (S3)
	maxLen   int               // the type's name limit: generated names are cut to it; 0 means 64
	id       string            // format of {id}: see gen.format
	ref      string            // what Ref returns
	attrs    map[string]string // what Fn::GetAtt returns, by attribute
}

// kinds covers the resource types this app's templates use. A Ref to another type returns
// a generated name; its Arn attribute a generic ARN; any other attribute is an error that
// asks for a row here.
var kinds = map[string]kind{
	"AWS::S3::Bucket": {nameProp: "BucketName", lower: true, maxLen: 63, ref: "{name}", attrs: map[string]string{
		"Arn":                 "arn:{partition}:s3:::{name}",
		"DomainName":          "{name}.s3.{suffix}",
		"RegionalDomainName":  "{name}.s3.{region}.{suffix}",
		"DualStackDomainName": "{name}.s3.dualstack.{region}.{suffix}",
		"WebsiteURL":          "http://{name}.s3-website-{region}.{suffix}",
	}},
	"AWS::S3::BucketPolicy": {id: "short", ref: "{id}"},
	"AWS::KMS::Key": {ref: "{uuid}", attrs: map[string]string{
		"Arn": "arn:{partition}:kms:{region}:{account}:key/{uuid}", "KeyId": "{uuid}",
	}},
	"AWS::KMS::Alias": {nameProp: "AliasName", ref: "{name}"},
	"AWS::IAM::Role": {nameProp: "RoleName", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:iam::{account}:role{path}{name}", "RoleId": "AROA{id}",
	}, id: "UPPER17"},
	"AWS::IAM::ManagedPolicy": {nameProp: "ManagedPolicyName", maxLen: 128, ref: "arn:{partition}:iam::{account}:policy{path}{name}", attrs: map[string]string{
		"PolicyArn": "arn:{partition}:iam::{account}:policy{path}{name}", "PolicyId": "ANPA{id}",
	}, id: "UPPER17"},
	"AWS::IAM::Policy": {nameProp: "PolicyName", maxLen: 128, ref: "{name}", attrs: map[string]string{"Id": "{name}"}},
	"AWS::Lambda::Function": {nameProp: "FunctionName", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:lambda:{region}:{account}:function:{name}",
	}},
	"AWS::Lambda::LayerVersion": {nameProp: "LayerName", ref: "arn:{partition}:lambda:{region}:{account}:layer:{name}:1", attrs: map[string]string{
		"LayerVersionArn": "arn:{partition}:lambda:{region}:{account}:layer:{name}:1",
	}},
	"AWS::Lambda::Permission": {maxLen: 100, ref: "{name}"}, // the statement id in the function's policy
	"AWS::Lambda::Version": {ref: "arn:{partition}:lambda:{region}:{account}:function:{prop:FunctionName}:" + LambdaVersion, attrs: map[string]string{
		"Version": LambdaVersion, "FunctionArn": "arn:{partition}:lambda:{region}:{account}:function:{prop:FunctionName}:" + LambdaVersion,
	}},
	"AWS::Lambda::Alias": {ref: "arn:{partition}:lambda:{region}:{account}:function:{prop:FunctionName}:{prop:Name}", attrs: map[string]string{
		"AliasArn": "arn:{partition}:lambda:{region}:{account}:function:{prop:FunctionName}:{prop:Name}",
	}},
	"AWS::CodeDeploy::Application":     {nameProp: "ApplicationName", maxLen: 100, ref: "{name}"},
	"AWS::CodeDeploy::DeploymentGroup": {nameProp: "DeploymentGroupName", maxLen: 100, ref: "{name}"},
	"AWS::Logs::LogGroup": {nameProp: "LogGroupName", maxLen: 512, ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:logs:{region}:{account}:log-group:{name}:*",
	}},
	"AWS::SNS::Topic": {nameProp: "TopicName", maxLen: 256, ref: "arn:{partition}:sns:{region}:{account}:{name}", attrs: map[string]string{
		"TopicArn": "arn:{partition}:sns:{region}:{account}:{name}", "TopicName": "{name}",
	}},
	"AWS::SNS::Subscription": {ref: "arn:{partition}:sns:{region}:{account}:{name}:{uuid}"},
	"AWS::SNS::TopicPolicy":  {id: "short", ref: "{id}"},
	"AWS::SecretsManager::Secret": {nameProp: "Name", maxLen: 512, id: "Alnum6", ref: "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-{id}", attrs: map[string]string{
		"Id": "arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-{id}",
	}},
	"AWS::DynamoDB::Table": {nameProp: "TableName", maxLen: 255, ref: "{name}", attrs: map[string]string{
		"Arn":       "arn:{partition}:dynamodb:{region}:{account}:table/{name}",
		"StreamArn": "arn:{partition}:dynamodb:{region}:{account}:table/{name}/stream/2025-01-01T00:00:00.000",
	}},
	"AWS::ApiGateway::RestApi":          {id: "lower10", ref: "{id}", attrs: map[string]string{"RestApiId": "{id}", "RootResourceId": "{uuid:lower10}"}},
	"AWS::ApiGateway::Stage":            {nameProp: "StageName", ref: "{name}"},
	"AWS::ApiGateway::Resource":         {id: "lower6", ref: "{id}", attrs: map[string]string{"ResourceId": "{id}"}},
	"AWS::ApiGateway::Method":           {id: "lower6", ref: "{id}"},
	"AWS::ApiGateway::Authorizer":       {id: "lower6", ref: "{id}", attrs: map[string]string{"AuthorizerId": "{id}"}},
	"AWS::ApiGateway::Deployment":       {id: "lower6", ref: "{id}", attrs: map[string]string{"DeploymentId": "{id}"}},
	"AWS::ApiGateway::RequestValidator": {id: "lower6", ref: "{id}", attrs: map[string]string{"RequestValidatorId": "{id}"}},
	"AWS::ApiGateway::Model":            {nameProp: "Name", ref: "{name}"},
	"AWS::ApiGateway::Account":          {id: "short", ref: "{id}"},
	"AWS::ApiGateway::GatewayResponse":  {id: "short", ref: "{id}"},
	"AWS::CloudFront::Distribution": {id: "UPPER13", ref: "E{id}", attrs: map[string]string{
		"Id": "E{id}", "DomainName": "d{uuid:lower13}.cloudfront.net",
	}},
	"AWS::CloudFront::Function": {nameProp: "Name", ref: "arn:{partition}:cloudfront::{account}:function/{name}", attrs: map[string]string{
		"FunctionARN": "arn:{partition}:cloudfront::{account}:function/{name}", "FunctionMetadata.FunctionARN": "arn:{partition}:cloudfront::{account}:function/{name}",
		"Stage": "LIVE",
	}},
	"AWS::CloudFront::OriginAccessControl":   {id: "UPPER13", ref: "E{id}", attrs: map[string]string{"Id": "E{id}"}},
	"AWS::CloudFront::CachePolicy":           {ref: "{uuid}", attrs: map[string]string{"Id": "{uuid}"}},
	"AWS::CloudFront::ResponseHeadersPolicy": {ref: "{uuid}", attrs: map[string]string{"Id": "{uuid}"}},
	"AWS::CloudFront::OriginRequestPolicy":   {ref: "{uuid}", attrs: map[string]string{"Id": "{uuid}"}},
	"AWS::CloudTrail::Trail": {nameProp: "TrailName", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:cloudtrail:{region}:{account}:trail/{name}", "SnsTopicArn": "arn:{partition}:sns:{region}:{account}:{name}",
	}},
	"AWS::CloudWatch::Alarm": {nameProp: "AlarmName", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}",
	}},
	"AWS::CodeBuild::Project": {nameProp: "Name", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:codebuild:{region}:{account}:project/{name}",
	}},
	"AWS::CodeCommit::Repository": {nameProp: "RepositoryName", ref: "{uuid}", attrs: map[string]string{
		"Arn": "arn:{partition}:codecommit:{region}:{account}:{name}", "Name": "{name}",
		"CloneUrlHttp": "https://git-codecommit.{region}.{suffix}/v1/repos/{name}",
		"CloneUrlSsh":  "ssh://git-codecommit.{region}.{suffix}/v1/repos/{name}",
	}},
	"AWS::CodePipeline::Pipeline": {nameProp: "Name", ref: "{name}", attrs: map[string]string{"Version": "1"}},
	"AWS::Cognito::UserPool": {id: "Alnum9", ref: "{region}_{id}", attrs: map[string]string{
		"Arn":          "arn:{partition}:cognito-idp:{region}:{account}:userpool/{region}_{id}",
		"UserPoolId":   "{region}_{id}",
		"ProviderName": "cognito-idp.{region}.{suffix}/{region}_{id}",
		"ProviderURL":  "https://cognito-idp.{region}.{suffix}/{region}_{id}",
	}},
	"AWS::Cognito::UserPoolClient": {id: "lower26", ref: "{id}", attrs: map[string]string{"ClientId": "{id}", "Name": "{prop:ClientName}"}},
	"AWS::Cognito::UserPoolDomain": {nameProp: "Domain", ref: "{name}", attrs: map[string]string{
		"CloudFrontDistribution": "d{uuid:lower13}.cloudfront.net",
	}},
	"AWS::EC2::VPC": {id: "hex17", ref: "vpc-{id}", attrs: map[string]string{
		"VpcId": "vpc-{id}", "DefaultSecurityGroup": "sg-{uuid:hex17}", "DefaultNetworkAcl": "acl-{uuid:hex17}",
		"CidrBlock": "{prop:CidrBlock}",
	}},
	"AWS::EC2::Subnet": {id: "hex17", ref: "subnet-{id}", attrs: map[string]string{
		"SubnetId": "subnet-{id}", "AvailabilityZone": "{prop:AvailabilityZone}", "VpcId": "{prop:VpcId}",
	}},
	"AWS::EC2::RouteTable":                  {id: "hex17", ref: "rtb-{id}", attrs: map[string]string{"RouteTableId": "rtb-{id}"}},
	"AWS::EC2::SubnetRouteTableAssociation": {id: "hex17", ref: "rtbassoc-{id}"},
	"AWS::EC2::VPCEndpoint":                 {id: "hex17", ref: "vpce-{id}", attrs: map[string]string{"Id": "vpce-{id}"}},
	"AWS::EC2::SecurityGroup":               {id: "hex17", ref: "sg-{id}", attrs: map[string]string{"GroupId": "sg-{id}", "VpcId": "{prop:VpcId}"}},
	"AWS::EC2::FlowLog":                     {id: "hex17", ref: "fl-{id}", attrs: map[string]string{"Id": "fl-{id}"}},
	"AWS::Events::Rule": {nameProp: "Name", ref: "{name}", attrs: map[string]string{
		"Arn": "arn:{partition}:events:{region}:{account}:rule/{name}",
	}},
	"AWS::WAFv2::WebACL": {nameProp: "Name", ref: "{name}|{uuid}|REGIONAL", attrs: map[string]string{
		"Arn": "arn:{partition}:wafv2:{region}:{account}:regional/webacl/{name}/{uuid}", "Id": "{uuid}",
	}},
	"AWS::WAFv2::WebACLAssociation": {id: "short", ref: "{id}"},
}

// placeholder is what a resource's Ref and attributes resolve to.
type placeholder struct {
	typ   string
	ref   any
	attrs map[string]string // by attribute; nil means "any attribute" (custom resources)
	gen   gen
}

func (p *placeholder) attr(name string, missing error) (any, error) {
	if p.attrs == nil {
		return name + "-" + p.gen.format("lower13"), nil
	}
	v, ok := p.attrs[name]
	if !ok {
		return nil, missing
	}
	return v, nil
}

func (st *state) placeholder(id, at string) (*placeholder, error) {
	if p, ok := st.ids[id]; ok {
		return p, nil
	}
	res := st.stack.Template.Resources[id]
	typ := res.Type
	g := newGen(st.stack.Name, id)
	if strings.HasPrefix(typ, "Custom::") || typ == "AWS::CloudFormation::CustomResource" {
		p := &placeholder{typ: typ, ref: fmt.Sprintf("%s-%s-%s", st.stack.Name, id, g.format("UPPER13")), gen: g}
		st.ids[id] = p
		return p, nil
	}
	k, known := kinds[typ]
	if !known {
		parts := strings.Split(typ, "::")
		if len(parts) != 3 {
			return nil, st.errorf(at, "resource %s has type %q", id, typ)
		}
		k = kind{ref: "{name}", attrs: map[string]string{
			"Arn": "arn:{partition}:" + strings.ToLower(parts[1]) + ":{region}:{account}:" + strings.ToLower(parts[2]) + "/{name}",
		}}
	}
	prop := func(name string) (string, error) {
		v, ok := res.Properties[name]
		if !ok {
			return "", st.errorf(at, "%s (%s) has no property %s for its placeholder", id, typ, name)
		}
		rv, err := st.value(v, "Resources/"+id+"/Properties/"+name)
		if err != nil {
			return "", err
		}
		return scalar(rv)
	}
	name := ""
	if k.nameProp != "" {
		if _, ok := res.Properties[k.nameProp]; ok {
			n, err := prop(k.nameProp)
			if err != nil {
				return nil, err
			}
			name = n
		}
	}
	if name == "" {
		name = generatedName(st.stack.Name, id, g, k.lower, k.maxLen, st.r.opts.Estimate)
	}
	values := map[string]string{
		"{name}": name, "{partition}": Partition(st.region), "{region}": st.region,
		"{account}": st.account, "{suffix}": URLSuffix(st.region), "{uuid}": g.uuid(),
		"{id}": g.format(k.id),
	}
	if _, ok := res.Properties["Path"]; !ok {
		values["{path}"] = "/" // else {prop:Path}
	}
	expand := func(tpl string) (string, error) {
		var err error
		out := tplToken.ReplaceAllStringFunc(tpl, func(tok string) string {
			if v, ok := values[tok]; ok {
				return v
			}
			inner := tok[1 : len(tok)-1]
			if inner == "path" {
				inner = "prop:Path"
			}
			if f, ok := strings.CutPrefix(inner, "uuid:"); ok {
				return newGen(st.stack.Name, id+"/"+f).format(f)
			}
			if p, ok := strings.CutPrefix(inner, "prop:"); ok {
				v, perr := prop(p)
				if perr != nil && err == nil {
					err = perr
				}
				return v
			}
			if err == nil {
				err = fmt.Errorf("cfn: unknown placeholder %s in %q", tok, tpl)
			}
			return tok
		})
		return out, err
	}
	p := &placeholder{typ: typ, gen: g, attrs: map[string]string{}}
	ref, err := expand(k.ref)
	if err != nil {
		return nil, err
	}
	p.ref = ref
	st.ids[id] = p // before attributes: an attribute may read a property that refers back
	for a, tpl := range k.attrs {
		v, err := expand(tpl)
		if err != nil {
			delete(st.ids, id)
			return nil, err
		}
		p.attrs[a] = v
	}
	return p, nil
}

// generatedName is the name CloudFormation gives a resource without a name property:
// <stack>-<logical id>-<13 random characters>, cut to the type's limit. An estimate
// lengthens the random part up to EstimateLength (or the type's limit, if lower): the
// longest such a name usually is.
func generatedName(stack, id string, g gen, lower bool, maxLen int, estimate bool) string {
	if maxLen == 0 {
		maxLen = 64
	}
	prefix := stack + "-" + id
	n := 13
	if want := min(EstimateLength, maxLen); estimate && len(prefix)+1+n < want {
		n = want - len(prefix) - 1
	}
	suffix := "-" + g.format("UPPER"+strconv.Itoa(n))
	if lower {
		prefix, suffix = strings.ToLower(prefix), strings.ToLower(suffix)
	}
	if len(prefix)+len(suffix) > maxLen {
		prefix = prefix[:maxLen-len(suffix)]
	}
	return prefix + suffix
}

// Partition is the AWS partition of a region ("aws", "aws-cn", "aws-us-gov"), as
// AWS::Partition resolves there.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// URLSuffix is the domain suffix of a region's endpoints, as AWS::URLSuffix resolves there.
func URLSuffix(region string) string {
	if strings.HasPrefix(region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// UUID is a version 4 UUID derived from seed: the same seed gives the same UUID on every
// run and machine, as the placeholders do (key ids, request ids of the test harnesses).
func UUID(seed string) string { return gen(sha256.Sum256([]byte(seed))).uuid() }

// gen derives stable pseudo-random identifiers from a stack and logical id, so that a
// template resolves the same way on every run and every machine.
type gen [32]byte

func newGen(stack, id string) gen { return sha256.Sum256([]byte(stack + "/" + id)) }

func (g gen) uuid() string {
	h := hex.EncodeToString(g[:16])
	h = h[:12] + "4" + h[13:16] + "8" + h[17:] // version 4, RFC 4122 variant
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// format renders an identifier: "hex17", "lower10", "UPPER13", "Alnum9", "short" (8
// lower-case characters); "" is 13 upper-case characters.
func (g gen) format(f string) string {
	alphabet, n := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 13
	switch {
	case f == "short":
		alphabet, n = "abcdefghijklmnopqrstuvwxyz0123456789", 8
	case strings.HasPrefix(f, "hex"):
		alphabet, n = "0123456789abcdef", atoi(f[3:])
	case strings.HasPrefix(f, "lower"):
		alphabet, n = "abcdefghijklmnopqrstuvwxyz0123456789", atoi(f[5:])
	case strings.HasPrefix(f, "UPPER"):
		n = atoi(f[5:])
	case strings.HasPrefix(f, "Alnum"):
		alphabet, n = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", atoi(f[5:])
	}
	out := make([]byte, n)
	seed := binary.BigEndian.Uint64(g[:8]) ^ binary.BigEndian.Uint64(g[24:])
	for i := range out {
		seed = seed*6364136223846793005 + 1442695040888963407
		out[i] = alphabet[(seed>>33)%uint64(len(alphabet))]
	}
	return string(out)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 13
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return 13
	}
	return n
}
