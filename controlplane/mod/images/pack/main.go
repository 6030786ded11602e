// pack writes an OCI image archive (oci-layout, index.json, blobs) holding
// files from this machine as one uncompressed layer, named so that
// `ctr -n k8s.io images import` registers it under -name. No registry and no
// Docker: the real node's images are built from Go binaries and packed here.
//
//	pack -name podgate.local/app:e2e -out app.tar -entrypoint /app /app=./bin/app [/etc/x=./x ...]
//
// A source that is a directory is packed with everything under it; symbolic
// links under it stay links, a file named directly is packed with what it
// points to (so /lib64/ld-linux-x86-64.so.2=/lib64/ld-linux-x86-64.so.2 packs the loader itself).
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
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

// entry is one file, directory or symbolic link of the layer.
type entry struct {
	source string // a regular file's content; empty for directories and links
	link   string
	dir    bool
	mode   int64
}

// expand lists what each /target=source packs: a file, or a directory's whole tree.
func expand(files map[string]string) (map[string]entry, error) {
	out := map[string]entry{}
	for target, source := range files {
		name := strings.TrimPrefix(path.Clean(target), "/")
		info, err := os.Stat(source)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out[name] = entry{source: source, mode: int64(info.Mode().Perm())}
			continue
		}
		err = filepath.WalkDir(source, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(source, p)
			inner := path.Join(name, filepath.ToSlash(rel))
			i, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				link, err := os.Readlink(p)
				if err != nil {
					return err
				}
				out[inner] = entry{link: link, mode: 0o777}
			case d.IsDir():
				out[inner] = entry{dir: true, mode: int64(i.Mode().Perm())}
			default:
				out[inner] = entry{source: p, mode: int64(i.Mode().Perm())}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func layer(files map[string]string) ([]byte, error) {
	entries, err := expand(files)
	if err != nil {
		return nil, err
	}
	// Parent directories get entries of their own (0755, fixed time) rather than whatever the unpacker defaults to.
	for name := range entries {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, ok := entries[d]; !ok {
				entries[d] = entry{dir: true, mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	// Sorted, so parents come before their children and the same inputs give the same digest.
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range names {
		e := entries[name]
		h := &tar.Header{Name: name, Mode: e.mode, ModTime: epoch}
		var data []byte
		switch {
		case e.dir:
			h.Typeflag, h.Name = tar.TypeDir, name+"/"
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		default:
			if data, err = os.ReadFile(e.source); err != nil {
				return nil, err
			}
			h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
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
