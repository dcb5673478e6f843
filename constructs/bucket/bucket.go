// Package bucket makes S3 buckets with the secure defaults every bucket of the app needs,
// in one place: blocked public access, TLS-only, encryption, versioning, Object Lock,
// event notifications, retention and server access logging.
package bucket

import (
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/removal"
)

// Props configures a bucket.
type Props struct {
	// AccessLogs receives the bucket's server access logs. Required unless LogBucket is set.
	AccessLogs awss3.IBucket
	// AccessLogsPrefix is the key prefix of those logs. Default: "<id>/".
	AccessLogsPrefix string
	// LogBucket marks a bucket that receives logs itself: it gets no access logging of
	// its own (that would log into itself forever). Default: false.
	LogBucket bool
	// ForCloudFrontLogs enables the ACLs that CloudFront standard logging needs to write.
	// Default: false (ACLs disabled, bucket owner enforced).
	ForCloudFrontLogs bool
	// EncryptionKey encrypts objects with a customer-managed key (with an S3 bucket key, so
	// one KMS call serves many objects). A log bucket's key must let the log writers use it
	// (logging.AllowLogs). Default: S3-managed encryption.
	EncryptionKey awskms.IKey
	// Destroy deletes the bucket and its objects with the stack (non-production only).
	// Default: false, the bucket is retained.
	Destroy bool
	// ObjectLock activates S3 Object Lock (write once, read many) for evidence such as
	// audit logs, without a default retention: objects can be put under retention or legal
	// hold when an investigation needs it. Not for buckets that roles write through CDK
	// grants (a read-write grant includes s3:PutObjectRetention and s3:PutObjectLegalHold,
	// which take effect only with Object Lock: a writer could lock what it must later
	// replace), and not for log buckets (S3 refuses server access logs into them).
	// Default: false.
	ObjectLock bool
	// TransitionAfterDays moves objects to Glacier Instant Retrieval. Default: never.
	TransitionAfterDays int
	// ExpireAfterDays deletes objects (and old versions) after that many days. Default: never.
	ExpireAfterDays int
}

func (p *Props) validate() error {
	var errs []error
	if p.AccessLogs == nil && !p.LogBucket {
		errs = append(errs, errors.New("bucket: AccessLogs is required unless LogBucket is true"))
	}
	if p.ObjectLock && p.LogBucket {
		errs = append(errs, errors.New("bucket: ObjectLock and LogBucket: S3 does not deliver server access logs into a bucket with Object Lock; set at most one"))
	}
	if p.TransitionAfterDays < 0 || p.ExpireAfterDays < 0 {
		errs = append(errs, fmt.Errorf("bucket: TransitionAfterDays %d and ExpireAfterDays %d: allowed are 0 (never) or more", p.TransitionAfterDays, p.ExpireAfterDays))
	}
	if p.ExpireAfterDays > 0 && p.TransitionAfterDays > 0 && p.ExpireAfterDays <= p.TransitionAfterDays {
		errs = append(errs, fmt.Errorf("bucket: ExpireAfterDays %d must be after TransitionAfterDays %d", p.ExpireAfterDays, p.TransitionAfterDays))
	}
	return errors.Join(errs...)
}

// New makes a private, encrypted, TLS-only, versioned bucket that sends its events to
// EventBridge.
func New(scope constructs.Construct, id string, props *Props) awss3.Bucket {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	ownership := awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED
	if props.ForCloudFrontLogs {
		ownership = awss3.ObjectOwnership_OBJECT_WRITER
	}
	var rules []*awss3.LifecycleRule
	if props.TransitionAfterDays > 0 || props.ExpireAfterDays > 0 {
		rule := &awss3.LifecycleRule{Id: jsii.String("age-out"), AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7))}
		if props.TransitionAfterDays > 0 {
			rule.Transitions = &[]*awss3.Transition{{
				StorageClass:    awss3.StorageClass_GLACIER_INSTANT_RETRIEVAL(),
				TransitionAfter: awscdk.Duration_Days(jsii.Number(props.TransitionAfterDays)),
			}}
		}
		if props.ExpireAfterDays > 0 {
			rule.Expiration = awscdk.Duration_Days(jsii.Number(props.ExpireAfterDays))
			rule.NoncurrentVersionExpiration = awscdk.Duration_Days(jsii.Number(props.ExpireAfterDays))
		}
		rules = append(rules, rule)
	} else {
		rules = append(rules, &awss3.LifecycleRule{
			Id:                                  jsii.String("abort-uploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		})
	}
	bp := &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		MinimumTLSVersion: jsii.Number(1.2),
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   ownership,
		RemovalPolicy:     removal.Policy(props.Destroy),
		AutoDeleteObjects: jsii.Bool(props.Destroy),
		LifecycleRules:    &rules,
	}
	if props.ObjectLock {
		bp.ObjectLockEnabled = jsii.Bool(true)
	}
	if props.EncryptionKey != nil {
		bp.Encryption = awss3.BucketEncryption_KMS
		bp.EncryptionKey = props.EncryptionKey
		bp.BucketKeyEnabled = jsii.Bool(true)
	}
	if !props.LogBucket {
		prefix := props.AccessLogsPrefix
		if prefix == "" {
			prefix = id + "/"
		}
		bp.ServerAccessLogsBucket = props.AccessLogs
		bp.ServerAccessLogsPrefix = jsii.String(prefix)
	}
	b := awss3.NewBucket(scope, jsii.String(id), bp)
	// Object-level events go to the account's default EventBridge bus (free for S3 events),
	// where rules can watch deletions and policy changes. Set on the bucket itself: CDK's
	// EventBridgeEnabled adds a custom resource and a Lambda function per stack instead.
	b.Node().DefaultChild().(awss3.CfnBucket).AddPropertyOverride(
		jsii.String("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled"), jsii.Bool(true))
	return b
}
