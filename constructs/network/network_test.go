package network

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	p := (&Props{}).withDefaults()
	assert.Equal(t, "10.0.0.0/16", p.Cidr)
	err := p.validate()
	assert.ErrorContains(t, err, "Key is required")
	assert.ErrorContains(t, err, "Zones []: allowed are 1 to 3 zones")
	p = (&Props{Zones: []string{"a", "b", "c", "d"}}).withDefaults()
	assert.ErrorContains(t, p.validate(), "Zones [a b c d]")
}

func TestInterfaceEndpointsNeedServiceAndPolicy(t *testing.T) {
	p := (&Props{Zones: []string{"eu-west-1a"}, InterfaceEndpoints: map[string]InterfaceEndpoint{"SecretsManager": {}}}).withDefaults()
	err := p.validate()
	assert.ErrorContains(t, err, `InterfaceEndpoints["SecretsManager"]: Service is required`)
	assert.ErrorContains(t, err, `InterfaceEndpoints["SecretsManager"]: Policy is empty`)
}
