package main

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close() // one jsii kernel per test binary
	os.Exit(code)
}
