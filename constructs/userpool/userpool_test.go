package userpool

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{DomainPrefix: "notes-dev-111111111111", MFA: MFAOptional}).validate())
	err := (&Props{DomainPrefix: "Notes_Dev", MFA: "sometimes"}).validate()
	assert.ErrorContains(t, err, `DomainPrefix "Notes_Dev"`)
	assert.ErrorContains(t, err, `MFA "sometimes"`)
}
