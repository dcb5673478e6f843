package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestSetupNeedsTheFunctionMap(t *testing.T) {
	for _, v := range []string{"", "{}", "not json"} {
		if _, err := setup(context.Background(), func(string) string { return v }, io.Discard); err == nil || !strings.Contains(err.Error(), EnvFunctions) {
			t.Errorf("%q: want an error naming %s, got %v", v, EnvFunctions, err)
		}
	}
	c, err := setup(context.Background(), func(k string) string {
		if k == EnvFunctions {
			return `{"notes-dev-backend-Health-1":"Health"}`
		}
		return ""
	}, io.Discard)
	if err != nil || c.Functions["notes-dev-backend-Health-1"] != "Health" {
		t.Fatalf("setup = %+v, %v", c, err)
	}
}
