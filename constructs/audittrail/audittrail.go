// Package audittrail records every API call in the account to a tamper-evident, encrypted
// and retained place, which is the first thing an auditor asks for.
package audittrail

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/bucket"
	"github.com/example/notesplatform/constructs/logging"
)

// AuditTrail is a multi-region CloudTrail trail with log-file validation, KMS encryption,
// delivery to CloudWatch Logs and a retained, access-logged bucket.
type AuditTrail struct {
	constructs.Construct
	// Trail is the CloudTrail trail (construct id "Resource").
	Trail awscloudtrail.Trail
	// Bucket holds the log files.
	Bucket awss3.IBucket
	// LogGroup receives the events for metric filters and alarms.
	LogGroup awslogs.ILogGroup
}

// Props configures the audit trail.
type Props struct {
	// Key encrypts the log files and the log group. Required (use logging.NewKey).
	Key awskms.IKey
	// AccessLogs receives the trail bucket's server access logs. Required.
	AccessLogs awss3.IBucket
	// LogRetentionDays is the CloudWatch Logs retention. Default: 365.
	LogRetentionDays int
	// ArchiveAfterDays moves log files to Glacier Instant Retrieval. Default: 90.
	ArchiveAfterDays int
	// ExpireAfterDays deletes log files. Default: 2557 (seven years).
	ExpireAfterDays int
	// Destroy deletes the bucket and log group with the stack. Default: false, retained.
	Destroy bool
}

func (p *Props) withDefaults() Props {
	out := *p
	out.LogRetentionDays = cmp.Or(out.LogRetentionDays, 365)
	out.ArchiveAfterDays = cmp.Or(out.ArchiveAfterDays, 90)
	out.ExpireAfterDays = cmp.Or(out.ExpireAfterDays, 2557)
	return out
}

func (p *Props) validate() error {
	var errs []error
	if p.Key == nil {
		errs = append(errs, errors.New("audittrail: Key is required: trails are KMS-encrypted"))
	}
	if p.AccessLogs == nil {
		errs = append(errs, errors.New("audittrail: AccessLogs is required: the trail bucket is access-logged"))
	}
	if p.ExpireAfterDays <= p.ArchiveAfterDays {
		errs = append(errs, fmt.Errorf("audittrail: ExpireAfterDays %d must be greater than ArchiveAfterDays %d", p.ExpireAfterDays, p.ArchiveAfterDays))
	}
	if _, ok := logging.Retention(p.LogRetentionDays); !ok {
		errs = append(errs, fmt.Errorf("audittrail: LogRetentionDays %d: allowed are the CloudWatch Logs values", p.LogRetentionDays))
	}
	return errors.Join(errs...)
}

// New makes the audit trail.
func New(scope constructs.Construct, id string, props *Props) *AuditTrail {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	b := bucket.New(c, "Bucket", &bucket.Props{
		AccessLogs:          p.AccessLogs,
		AccessLogsPrefix:    "audit-trail/",
		EncryptionKey:       p.Key, // the trail encrypts each file with it too; this covers every other object
		ObjectLock:          true,  // evidence: files can be put under retention or legal hold
		Destroy:             p.Destroy,
		TransitionAfterDays: p.ArchiveAfterDays,
		ExpireAfterDays:     p.ExpireAfterDays,
	})
	lg := logging.NewLogGroup(c, "LogGroup", &logging.LogGroupProps{
		Key: p.Key, RetentionDays: p.LogRetentionDays, Destroy: p.Destroy,
	})
	trail := awscloudtrail.NewTrail(c, jsii.String("Resource"), &awscloudtrail.TrailProps{
		Bucket:                     b,
		EncryptionKey:              p.Key,
		IsMultiRegionTrail:         jsii.Bool(true),
		IncludeGlobalServiceEvents: jsii.Bool(true),
		EnableFileValidation:       jsii.Bool(true),
		SendToCloudWatchLogs:       jsii.Bool(true),
		CloudWatchLogGroup:         lg,
		ManagementEvents:           awscloudtrail.ReadWriteType_ALL,
	})
	return &AuditTrail{Construct: c, Trail: trail, Bucket: b, LogGroup: lg}
}
