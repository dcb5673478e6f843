package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/nag"
	"github.com/example/notesplatform/constructs/table"
	"github.com/example/notesplatform/constructs/userpool"
	"github.com/example/notesplatform/internal/config"
	"github.com/example/notesplatform/lambdas/api"
)

// DataStack holds the environment's state: the notes table and the user pool. It is
// deployed before and changed less often than the stacks that use it.
type DataStack struct {
	awscdk.Stack
	// Table holds every user's notes and the idempotency records.
	Table awsdynamodb.ITable
	// UserPool signs users in.
	UserPool awscognito.IUserPool
	// AuthURL is the base URL of the managed-login OAuth 2.0 endpoints.
	AuthURL *string
}

// DataProps configures the Data stack.
type DataProps struct {
	awscdk.StackProps
	App string
	Env config.Environment
}

// NewDataStack makes the Data stack.
func NewDataStack(scope constructs.Construct, id string, props *DataProps) *DataStack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	e := props.Env
	t := table.New(stack, "Notes", &table.Props{
		PartitionKey: api.TablePartitionKey,
		SortKey:      api.TableSortKey,
		TTLAttribute: api.TableTTLAttribute,
		Destroy:      e.Destroy(),
	})
	pool := userpool.New(stack, "Users", &userpool.Props{
		DomainPrefix:     props.App + "-" + e.Name + "-" + e.Account,
		MFA:              userpool.MFA(e.MFA),
		ThreatProtection: e.ThreatProtection,
		Destroy:          e.Destroy(),
	})
	if !e.ThreatProtection {
		nag.Suppress(pool.UserPool, false, "AwsSolutions-COG3",
			"Threat protection (Cognito Plus plan, billed per active user) is turned off by config.environments."+e.Name+
				".threatProtection=false (a stated cost decision for this environment); MFA and the password policy still apply.")
		nag.Suppress(pool.UserPool, false, "AwsSolutions-COG8",
			"The Plus feature plan exists for threat protection, which config.environments."+e.Name+".threatProtection=false turns off for this environment.")
	}
	if e.MFA != config.MFARequired {
		nag.Suppress(pool.UserPool, false, "AwsSolutions-COG2",
			"config.environments."+e.Name+".mfa is \""+string(e.MFA)+"\" (\"optional\": users may enrol a TOTP app; \"off\": none), a stated choice for this environment; the 12-character password policy still applies.")
	}
	return &DataStack{Stack: stack, Table: t.Table, UserPool: pool.UserPool, AuthURL: pool.DomainURL}
}
