//go:build !linux

package dynalite

import "os/exec"

// setProcAttr does nothing where there is no parent-death signal; Stop still ends the
// server.
func setProcAttr(*exec.Cmd) {}
