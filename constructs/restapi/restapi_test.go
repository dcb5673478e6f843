package restapi

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	p := (&Props{}).withDefaults()
	assert.Equal(t, "api", p.StageName)
	assert.Equal(t, 50, p.RateLimit)
	assert.Equal(t, 100, p.BurstLimit)
	err := p.validate()
	assert.ErrorContains(t, err, "Name is required")
	assert.ErrorContains(t, err, "UserPool is required")
	assert.ErrorContains(t, err, "LogKey is required")
	assert.ErrorContains(t, err, "MethodNotAllowed.Allow and .Body are required")
	p = (&Props{Name: "x", StageName: "v-1", BurstLimit: 9000}).withDefaults()
	err = p.validate()
	assert.ErrorContains(t, err, `StageName "v-1"`)
	assert.ErrorContains(t, err, "BurstLimit 9000")
}
