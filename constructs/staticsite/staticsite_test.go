package staticsite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	p := (&Props{SourceDir: "/does/not/exist", DomainName: "app.example.com", ContentSecurityPolicy: "a\nb"}).withDefaults()
	err := p.validate()
	assert.ErrorContains(t, err, `SourceDir "/does/not/exist"`)
	assert.ErrorContains(t, err, `DomainName "app.example.com" and Certificate: set both or neither`)
	assert.ErrorContains(t, err, "ContentSecurityPolicy")
	assert.ErrorContains(t, err, "LogKey is required")
	assert.Equal(t, 365, (&Props{}).withDefaults().AccessLogDays)
}
