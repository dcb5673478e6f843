// Package network makes a private VPC: isolated subnets only, no NAT gateway, no internet
// gateway, gateway endpoints for S3 and DynamoDB, optional interface endpoints with private
// DNS, an endpoint policy on each, and flow logs of all traffic to an encrypted log group.
// Anything placed in it can reach the AWS resources the endpoint policies name, and
// nothing else: no internet, no other account's data.
package network

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	customresources "github.com/aws/aws-cdk-go/awscdk/v2/customresources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/logging"
	"github.com/example/notesplatform/constructs/nag"
)

// Network is the VPC and its flow log.
type Network struct {
	constructs.Construct
	// Vpc is the VPC (construct id "Resource").
	Vpc awsec2.IVpc
	// FlowLogGroup receives the flow log records.
	FlowLogGroup awslogs.ILogGroup
	// EndpointSecurityGroup guards the interface endpoints: HTTPS in from the VPC, nothing
	// out. Clients in the VPC allow egress to it. Nil without interface endpoints.
	EndpointSecurityGroup awsec2.ISecurityGroup
	// DynamoDBPrefixList is the id of the region's DynamoDB prefix list (the addresses
	// the DynamoDB gateway endpoint routes), for security group egress rules. Nil unless
	// Props.LookUpDynamoDBPrefixList.
	DynamoDBPrefixList *string
}

// InterfaceEndpoint is an AWS service reached through PrivateLink.
type InterfaceEndpoint struct {
	// Service is the AWS service, e.g. awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER().
	Service awsec2.InterfaceVpcEndpointAwsService
	// Policy is what may be done through the endpoint. Required: an endpoint without a
	// policy lets anyone in the VPC reach any account's resources of that service.
	Policy []awsiam.PolicyStatement
}

// Props configures the network.
type Props struct {
	// Key encrypts the flow log group. Required.
	Key awskms.IKey
	// Zones are the availability zones of the subnets, named so that synth needs no AWS
	// look-up. Required: 1 to 3.
	Zones []string
	// Cidr is the VPC's IPv4 range. Default: "10.0.0.0/16".
	Cidr string
	// LogRetentionDays is the flow log retention. Default: 30.
	LogRetentionDays int
	// Destroy deletes the flow log group with the stack. Default: false, retained.
	Destroy bool
	// DynamoDBPolicy is what may be done through the DynamoDB gateway endpoint.
	// Default: AWS's default policy (anything).
	DynamoDBPolicy []awsiam.PolicyStatement
	// S3Policy is what may be done through the S3 gateway endpoint. Default: AWS's
	// default policy (anything).
	S3Policy []awsiam.PolicyStatement
	// InterfaceEndpoints are the services reached through PrivateLink with private DNS,
	// by construct id. Each costs about 7.30 USD a month per zone, plus data. Default: none.
	InterfaceEndpoints map[string]InterfaceEndpoint
	// LookUpDynamoDBPrefixList looks up, at deploy time, the id of the region's DynamoDB
	// prefix list, so security groups can allow egress to DynamoDB alone. Default: false.
	LookUpDynamoDBPrefixList bool
}

func (p *Props) withDefaults() Props {
	out := *p
	out.Cidr = cmp.Or(out.Cidr, "10.0.0.0/16")
	out.LogRetentionDays = cmp.Or(out.LogRetentionDays, 30)
	return out
}

func (p *Props) validate() error {
	var errs []error
	if p.Key == nil {
		errs = append(errs, errors.New("network: Key is required: flow logs are encrypted"))
	}
	if len(p.Zones) < 1 || len(p.Zones) > 3 {
		errs = append(errs, fmt.Errorf("network: Zones %v: allowed are 1 to 3 zones", p.Zones))
	}
	for _, id := range slices.Sorted(maps.Keys(p.InterfaceEndpoints)) {
		e := p.InterfaceEndpoints[id]
		if e.Service == nil {
			errs = append(errs, fmt.Errorf("network: InterfaceEndpoints[%q]: Service is required", id))
		}
		if len(e.Policy) == 0 {
			errs = append(errs, fmt.Errorf("network: InterfaceEndpoints[%q]: Policy is empty: allowed is a list of statements naming what may pass", id))
		}
	}
	return errors.Join(errs...)
}

// New makes the network.
func New(scope constructs.Construct, id string, props *Props) *Network {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	zones := jsii.Strings(p.Zones...)
	lg := logging.NewLogGroup(c, "FlowLogs", &logging.LogGroupProps{
		Key: p.Key, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
	})
	vpc := awsec2.NewVpc(c, jsii.String("Resource"), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(jsii.String(p.Cidr)),
		AvailabilityZones:            zones,
		NatGateways:                  jsii.Number(0),
		CreateInternetGateway:        jsii.Bool(false),
		RestrictDefaultSecurityGroup: jsii.Bool(true),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:       jsii.String("isolated"),
			SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED,
			CidrMask:   jsii.Number(22),
		}},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3":       {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
			"DynamoDB": {Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB()},
		},
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"All": {
				Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(lg, nil),
				TrafficType: awsec2.FlowLogTrafficType_ALL,
			},
		},
	})
	out := &Network{Construct: c, Vpc: vpc, FlowLogGroup: lg}
	for id, statements := range map[string][]awsiam.PolicyStatement{"S3": p.S3Policy, "DynamoDB": p.DynamoDBPolicy} {
		if len(statements) == 0 {
			continue
		}
		endpoint := vpc.Node().FindChild(jsii.String(id)).(awsec2.GatewayVpcEndpoint)
		for _, st := range statements {
			endpoint.AddToPolicy(st)
		}
	}
	if len(p.InterfaceEndpoints) > 0 {
		sg := awsec2.NewSecurityGroup(c, jsii.String("EndpointSecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              vpc,
			Description:      jsii.String("Interface endpoints: HTTPS from inside the VPC only"),
			AllowAllOutbound: jsii.Bool(false),
		})
		sg.AddIngressRule(awsec2.Peer_Ipv4(jsii.String(p.Cidr)), awsec2.Port_Tcp(jsii.Number(443)),
			jsii.String("HTTPS from the VPC's subnets"), nil)
		out.EndpointSecurityGroup = sg
		for _, id := range slices.Sorted(maps.Keys(p.InterfaceEndpoints)) {
			e := p.InterfaceEndpoints[id]
			endpoint := vpc.AddInterfaceEndpoint(jsii.String(id), &awsec2.InterfaceVpcEndpointOptions{
				Service:           e.Service,
				PrivateDnsEnabled: jsii.Bool(true),
				SecurityGroups:    &[]awsec2.ISecurityGroup{sg},
				Subnets:           &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED},
				Open:              jsii.Bool(false),
			})
			for _, st := range e.Policy {
				endpoint.AddToPolicy(st)
			}
		}
	}
	if p.LookUpDynamoDBPrefixList {
		logs := logging.NewLogGroup(c, "PrefixListLookupLogs", &logging.LogGroupProps{
			Key: p.Key, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
		})
		out.DynamoDBPrefixList = lookUpPrefixList(c, "DynamoDBPrefixList", "dynamodb", logs)
	}
	return out
}

// lookUpPrefixList finds the id of an AWS-managed prefix list (com.amazonaws.<region>.
// <service>) at deploy time: it differs per region and CloudFormation cannot look it up.
func lookUpPrefixList(scope constructs.Construct, id, service string, logs awslogs.ILogGroup) *string {
	name := fmt.Sprintf("com.amazonaws.%s.%s", *awscdk.Stack_Of(scope).Region(), service)
	call := &customresources.AwsSdkCall{
		Service: jsii.String("EC2"),
		Action:  jsii.String("describeManagedPrefixLists"),
		Parameters: map[string]any{
			"Filters": []map[string]any{{"Name": "prefix-list-name", "Values": []string{name}}},
		},
		PhysicalResourceId: customresources.PhysicalResourceId_FromResponse(jsii.String("PrefixLists.0.PrefixListId")),
		OutputPaths:        jsii.Strings("PrefixLists.0.PrefixListId"),
	}
	lookup := customresources.NewAwsCustomResource(scope, jsii.String(id), &customresources.AwsCustomResourceProps{
		OnCreate: call,
		OnUpdate: call,
		Policy: customresources.AwsCustomResourcePolicy_FromStatements(&[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Actions:   jsii.Strings("ec2:DescribeManagedPrefixLists"),
				Resources: jsii.Strings("*"),
			}),
		}),
		InstallLatestAwsSdk: jsii.Bool(false),
		LogGroup:            logs,
	})
	nag.Suppress(lookup, true, "AwsSolutions-IAM5",
		"ec2:DescribeManagedPrefixLists supports no resource-level permissions; the call only reads the id of AWS's public DynamoDB prefix list.",
		"Resource::*")
	provider := awscdk.Stack_Of(scope).Node().TryFindChild(jsii.String("AWS679f53fac002430cb0da5b7982bd2287"))
	nag.Suppress(provider, true, "AwsSolutions-IAM4",
		"CDK's AwsCustomResource provider (one per stack) logs through AWSLambdaBasicExecutionRole (CreateLogGroup/CreateLogStream/PutLogEvents); the construct takes no role of ours.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	return lookup.GetResponseField(jsii.String("PrefixLists.0.PrefixListId"))
}
