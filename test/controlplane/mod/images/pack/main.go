// pack writes an OCI image archive (oci-layout, index.json, blobs) holding
// files from this machine as one uncompressed layer, named so that
// `ctr -n k8s.io images import` registers it under -name. No registry and no
// Docker: the real node's images are built from Go binaries and packed here.
//
//	pack -name podgate.local/app:e2e -out app.tar -entrypoint /app /app=./bin/app [/etc/x=./x ...]
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int               `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// epoch: fixed file times, so the same inputs make the same image digest.
var epoch = time.Unix(0, 0)

func layer(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	targets := make([]string, 0, len(files))
	for t := range files {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, target := range targets {
		name := strings.TrimPrefix(path.Clean(target), "/")
		for d := path.Dir(name); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
		data, err := os.ReadFile(files[target])
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(files[target])
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(info.Mode().Perm()), Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	// Parent directories get entries of their own (0755, fixed time) rather than whatever the unpacker defaults to.
	sortedDirs := make([]string, 0, len(dirs))
	for d := range dirs {
		sortedDirs = append(sortedDirs, d)
	}
	sort.Strings(sortedDirs)
	for _, d := range sortedDirs {
		if err := tw.WriteHeader(&tar.Header{Name: d + "/", Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func run() error {
	name := flag.String("name", "", "image reference, e.g. podgate.local/app:e2e")
	out := flag.String("out", "", "archive to write")
	entrypoint := flag.String("entrypoint", "", "entrypoint, space-separated")
	user := flag.String("user", "", "image user (uid[:gid])")
	workdir := flag.String("workdir", "/", "working directory")
	var env multi
	flag.Var(&env, "env", "KEY=VALUE (repeatable)")
	flag.Parse()
	if *name == "" || *out == "" || flag.NArg() == 0 {
		return fmt.Errorf("usage: pack -name REF -out FILE [-entrypoint CMD] [-user U] [-env K=V] /target=source...")
	}
	files := map[string]string{}
	for _, arg := range flag.Args() {
		target, source, ok := strings.Cut(arg, "=")
		if !ok || !strings.HasPrefix(target, "/") {
			return fmt.Errorf("%q: want /target=source", arg)
		}
		files[target] = source
	}
	layerBytes, err := layer(files)
	if err != nil {
		return err
	}
	config := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      epoch.UTC().Format(time.RFC3339),
		"config": map[string]any{
			"Entrypoint": strings.Fields(*entrypoint),
			"Env":        append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, env...),
			"User":       *user,
			"WorkingDir": *workdir,
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest(layerBytes)}},
	}
	configBytes, _ := json.Marshal(config)
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: digest(configBytes), Size: len(configBytes)},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: digest(layerBytes), Size: len(layerBytes)}},
	}
	manifestBytes, _ := json.Marshal(manifest)
	tag := (*name)[strings.LastIndex(*name, ":")+1:]
	index := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{
			MediaType: "application/vnd.oci.image.manifest.v1+json", Digest: digest(manifestBytes), Size: len(manifestBytes),
			// containerd names an imported image after io.containerd.image.name.
			Annotations: map[string]string{"io.containerd.image.name": *name, "org.opencontainers.image.ref.name": tag},
		}},
	}
	indexBytes, _ := json.Marshal(index)

	f, err := os.Create(*out + ".tmp")
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	blob := func(data []byte) error { return add("blobs/sha256/"+strings.TrimPrefix(digest(data), "sha256:"), data) }
	for _, step := range []func() error{
		func() error { return add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)) },
		func() error { return blob(layerBytes) },
		func() error { return blob(configBytes) },
		func() error { return blob(manifestBytes) },
		func() error { return add("index.json", indexBytes) },
		tw.Close,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(*out+".tmp", *out)
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}
