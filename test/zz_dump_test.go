package test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestZZDump(t *testing.T) {
	for name, s := range map[string]*synthesized{"shipped": shippedApp(t), "connection": connectionApp(t)} {
		out := map[string]any{}
		for id, r := range templateJSON(s.Pipeline)["Resources"].(map[string]any) {
			if strings.HasPrefix(id, "PullRequestCheck") || strings.HasPrefix(id, "Dashboard") {
				out[id] = r
			}
		}
		b, _ := json.MarshalIndent(out, "", " ")
		os.WriteFile("/tmp/dump-"+name+".json", b, 0o644)
	}
}
