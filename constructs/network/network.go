// Package network makes a private VPC: isolated subnets only, no NAT gateway, no internet
// gateway, gateway endpoints for S3 and DynamoDB, and flow logs of all traffic to an
// encrypted log group. Anything placed in it can reach AWS data services and nothing else.
package network

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/logging"
)

// Network is the VPC and its flow log.
type Network struct {
	constructs.Construct
	// Vpc is the VPC (construct id "Resource").
	Vpc awsec2.IVpc
	// FlowLogGroup receives the flow log records.
	FlowLogGroup awslogs.ILogGroup
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
	return &Network{Construct: c, Vpc: vpc, FlowLogGroup: lg}
}
