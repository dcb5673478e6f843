package dynalite

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill dynalite when the test binary or local server dies,
// so a crashed run leaves no node process holding a port.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
