// log-shipper is the e2e stand-in for the fluent-bit sidecar podgate's e2e
// template injects: it takes the same arguments (`-i tail -p path=<glob>
// -o stdout`) and copies every line appended to the matching files to its
// stdout, prefixed with the file name, so `kubectl logs -c log-shipper`
// shows what the app wrote.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	glob := ""
	for i, a := range os.Args {
		if a == "-p" && i+1 < len(os.Args) && strings.HasPrefix(os.Args[i+1], "path=") {
			glob = strings.TrimPrefix(os.Args[i+1], "path=")
		}
	}
	if glob == "" {
		fmt.Fprintln(os.Stderr, "log-shipper: no -p path=<glob> argument")
		os.Exit(2)
	}
	fmt.Printf("log-shipper: started, tailing %s\n", glob)
	offsets := map[string]int64{}
	for {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				continue
			}
			if _, err := f.Seek(offsets[name], 0); err == nil {
				r := bufio.NewReader(f)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						break
					}
					offsets[name] += int64(len(line))
					fmt.Printf("log-shipper: [%s] %s", filepath.Base(name), line)
				}
			}
			f.Close()
		}
		time.Sleep(200 * time.Millisecond)
	}
}
