// A pause container for the test cluster's real node: PID 1 of every pod sandbox. It holds the
// pod's namespaces open, reaps zombies re-parented to it (processes in a shared PID namespace
// whose parents died), and exits 0 on SIGTERM or SIGINT so sandbox teardown is quick and clean.
// Static and dependency-free (CGO_ENABLED=0, standard library only): the image is this one file.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("runner-doctor pause 1")
		return
	}
	// As PID 1, a signal without a handler is ignored by the kernel; Notify installs handlers,
	// so SIGTERM/SIGINT actually reach us.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		fmt.Fprintf(os.Stderr, "pause: %v, exiting\n", sig)
		os.Exit(0)
	}
}

// reap collects every exited child without blocking; one SIGCHLD may stand for several exits.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
