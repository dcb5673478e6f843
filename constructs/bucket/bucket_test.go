package bucket

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{LogBucket: true}).validate())
	err := (&Props{TransitionAfterDays: 90, ExpireAfterDays: 30}).validate()
	assert.ErrorContains(t, err, "AccessLogs is required unless LogBucket is true")
	assert.ErrorContains(t, err, "ExpireAfterDays 30 must be after TransitionAfterDays 90")
	assert.ErrorContains(t, (&Props{LogBucket: true, ExpireAfterDays: -1}).validate(), "ExpireAfterDays -1: allowed are 0 (never) or more")
	assert.ErrorContains(t, (&Props{LogBucket: true, ObjectLock: true}).validate(), "ObjectLock and LogBucket: S3 does not deliver server access logs into a bucket with Object Lock")
}
