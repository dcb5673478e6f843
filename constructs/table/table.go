// Package table makes the app's DynamoDB table with the protections that state needs:
// on-demand billing, point-in-time recovery, deletion protection, retention and a
// customer-managed key with rotation.
package table

import (
	"errors"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	keys "github.com/example/notesplatform/constructs/key"
	"github.com/example/notesplatform/constructs/removal"
)

// Table is the DynamoDB table and its key.
type Table struct {
	constructs.Construct
	// Table is the table (construct id "Resource"); grant through it.
	Table awsdynamodb.ITable
	// Key encrypts the table.
	Key awskms.IKey
}

// Props configures the table.
type Props struct {
	// PartitionKey is the string partition key attribute. Required.
	PartitionKey string
	// SortKey is the string sort key attribute. Default: no sort key.
	SortKey string
	// TTLAttribute names the epoch-seconds attribute after which items expire. Default: none.
	TTLAttribute string
	// Key encrypts the table. Default: a new customer-managed key with rotation.
	Key awskms.IKey
	// Destroy deletes the table with the stack and turns deletion protection off
	// (non-production only). Default: false: retained and deletion-protected.
	Destroy bool
}

var attrPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,255}$`)

func (p *Props) validate() error {
	var errs []error
	if !attrPattern.MatchString(p.PartitionKey) {
		errs = append(errs, errors.New("table: PartitionKey "+`"`+p.PartitionKey+`"`+": allowed is 1-255 of A-Z a-z 0-9 _ . -"))
	}
	for _, a := range []string{p.SortKey, p.TTLAttribute} {
		if a != "" && !attrPattern.MatchString(a) {
			errs = append(errs, errors.New("table: attribute name "+`"`+a+`"`+": allowed is 1-255 of A-Z a-z 0-9 _ . -"))
		}
	}
	return errors.Join(errs...)
}

// New makes the table.
func New(scope constructs.Construct, id string, props *Props) *Table {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	key := props.Key
	if key == nil {
		key = keys.New(c, "Key", &keys.Props{Description: "Encrypts the application table", Destroy: props.Destroy})
	}
	tp := &awsdynamodb.TableProps{
		PartitionKey:  &awsdynamodb.Attribute{Name: jsii.String(props.PartitionKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:   awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:    awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey: key,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection: jsii.Bool(!props.Destroy),
		RemovalPolicy:      removal.Policy(props.Destroy),
	}
	if props.SortKey != "" {
		tp.SortKey = &awsdynamodb.Attribute{Name: jsii.String(props.SortKey), Type: awsdynamodb.AttributeType_STRING}
	}
	if props.TTLAttribute != "" {
		tp.TimeToLiveAttribute = jsii.String(props.TTLAttribute)
	}
	t := awsdynamodb.NewTable(c, jsii.String("Resource"), tp)
	return &Table{Construct: c, Table: t, Key: key}
}
