package audittrail

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	p := (&Props{}).withDefaults()
	assert.Equal(t, 365, p.LogRetentionDays)
	assert.Equal(t, 90, p.ArchiveAfterDays)
	assert.Equal(t, 2557, p.ExpireAfterDays)
	err := p.validate()
	assert.ErrorContains(t, err, "Key is required")
	assert.ErrorContains(t, err, "AccessLogs is required")
	p = (&Props{ArchiveAfterDays: 400, ExpireAfterDays: 100, LogRetentionDays: 11}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, "ExpireAfterDays 100 must be greater than ArchiveAfterDays 400")
	assert.ErrorContains(t, err, "LogRetentionDays 11")
}
