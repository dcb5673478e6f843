// Command synthfloor is the floor that `make bench-synth` measures the app against: the
// smallest useful CDK Go app (one stack with one DynamoDB table), run by the same CDK
// CLI, Node.js and Go toolchain as the app. The ratio app/floor is the cost of what the
// app adds (constructs, jsii round trips, cdk-nag, the synth gate, bundling), with the
// fixed costs of the CLI, the jsii kernel and `go run` divided out.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Floor"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	awsdynamodb.NewTableV2(stack, jsii.String("Table"), &awsdynamodb.TablePropsV2{
		PartitionKey: &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
	})
	app.Synth(nil)
}
