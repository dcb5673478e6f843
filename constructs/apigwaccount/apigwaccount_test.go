package apigwaccount

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, (&Props{}).validate())
	assert.NoError(t, (&Props{RoleDescription: "API Gateway logs of the shop"}).validate())
	assert.ErrorContains(t, (&Props{RoleDescription: "two\nlines"}).validate(), `RoleDescription "two\nlines"`)
}
