// app is the e2e suite's workload on the real node. `app init` is an init
// container: it writes one line to $LOG_DIR (when set) and exits 0. `app`
// serves HTTP on $PORT (default 8080): /healthz is the readiness probe
// (503 until $READY_AFTER_MS have passed, then 200), /network reports the
// pod's routes and resolv.conf so the suite can check that nothing routes or
// resolves off the machine. Every request is logged to stdout and, when
// $LOG_DIR is set, to $LOG_DIR/app.log for the log-shipper sidecar.
package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

var logMu sync.Mutex

func logLine(format string, args ...any) {
	line := fmt.Sprintf("%s app: %s\n", time.Now().UTC().Format(time.RFC3339Nano), fmt.Sprintf(format, args...))
	logMu.Lock()
	defer logMu.Unlock()
	os.Stdout.WriteString(line)
	if dir := os.Getenv("LOG_DIR"); dir != "" {
		if f, err := os.OpenFile(filepath.Join(dir, "app.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			f.WriteString(line)
			f.Close()
		}
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		logLine("init container ran (pid %d)", os.Getpid())
		return
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	delay, _ := strconv.Atoi(os.Getenv("READY_AFTER_MS"))
	started := time.Now()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if time.Since(started) < time.Duration(delay)*time.Millisecond {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		logLine("readiness probe from %s", r.RemoteAddr)
		w.Write([]byte("ok\n"))
	})
	http.HandleFunc("/network", func(w http.ResponseWriter, r *http.Request) {
		routes, _ := os.ReadFile("/proc/net/route")
		resolv, _ := os.ReadFile("/etc/resolv.conf")
		fmt.Fprintf(w, "== /proc/net/route\n%s== /etc/resolv.conf\n%s", routes, resolv)
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		logLine("%s %s from %s", r.Method, r.URL.Path, r.RemoteAddr)
		w.Write([]byte("hello from the real node\n"))
	})
	logLine("listening on :%s", port)
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		logLine("serve: %v", err)
		os.Exit(1)
	}
}
