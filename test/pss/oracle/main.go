// Command oracle runs the Pod Security admission evaluator of
// k8s.io/pod-security-admission (the one kube-apiserver 1.36 runs) on pods,
// for podgate's differential test (test/pss/run.ts).
//
//	oracle eval              JSON lines on stdin: {"id": any, "pod": {...}}
//	oracle fixtures <dir>    upstream's fixtures: <dir>/<level>/<version>/{pass,fail}/*.yaml
//
// Each pod is decoded into a typed v1.Pod with the apiserver's decoder and
// defaulted and re-encoded, as a webhook receives it, and one JSON line is written per pod:
//
//	{"id", "pod", "checks": {checkID: verdicts}, "levels": {"baseline": verdicts, "restricted": verdicts},
//	 "details": {checkID: "reason: detail"}, "fixture"?: {...}, "error"?: "..."}
//
// verdicts has one character per PSS version v1.0 ... v1.N (N = the newest
// version any check names; later versions and "latest" evaluate as v1.N):
// '-' the check does not exist at that version, '.' allowed, 'X' forbidden.
// details holds each check's reason at the newest version where it forbids.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	corev1defaults "k8s.io/kubernetes/pkg/apis/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

type fixture struct {
	Level   string `json:"level"`
	Version string `json:"version"`
	Expect  string `json:"expect"`
	File    string `json:"file"`
}

type result struct {
	ID      json.RawMessage   `json:"id,omitempty"`
	Pod     json.RawMessage   `json:"pod,omitempty"`
	Checks  map[string]string `json:"checks,omitempty"`
	Levels  map[string]string `json:"levels,omitempty"`
	Details map[string]string `json:"details,omitempty"`
	Fixture *fixture          `json:"fixture,omitempty"`
	Error   string            `json:"error,omitempty"`
}

type oracle struct {
	decoder   runtime.Decoder
	checks    []policy.Check
	evaluator policy.Evaluator
	maxMinor  int
}

func newOracle() (*oracle, error) {
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	checks := policy.DefaultChecks()
	evaluator, err := policy.NewEvaluator(checks, nil)
	if err != nil {
		return nil, err
	}
	maxMinor := 0
	for _, c := range checks {
		for _, v := range c.Versions {
			if v.MinimumVersion.Minor() > maxMinor {
				maxMinor = v.MinimumVersion.Minor()
			}
		}
	}
	// UniversalDeserializer: the apiserver's JSON/YAML decoding into typed
	// objects (case-sensitive keys, unknown fields dropped), without defaulting.
	return &oracle{decoder: serializer.NewCodecFactory(scheme).UniversalDeserializer(), checks: checks, evaluator: evaluator, maxMinor: maxMinor}, nil
}

// versionedCheck is the revision of a check in force at v1.minor, or nil.
func versionedCheck(c policy.Check, minor int) *policy.VersionedCheck {
	var found *policy.VersionedCheck
	for i := range c.Versions {
		if c.Versions[i].MinimumVersion.Minor() <= minor {
			found = &c.Versions[i]
		}
	}
	return found
}

func (o *oracle) evaluate(data []byte) result {
	obj, _, err := o.decoder.Decode(data, nil, &corev1.Pod{})
	if err != nil {
		return result{Error: "decode: " + err.Error()}
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return result{Error: fmt.Sprintf("decode: not a Pod but %T", obj)}
	}
	// The apiserver defaults a pod before admission sees it (a volume with no
	// source becomes an emptyDir, for one); upstream's fixtures rely on it.
	corev1defaults.SetObjectDefaults_Pod(pod)
	encoded, err := json.Marshal(pod)
	if err != nil {
		return result{Error: "encode: " + err.Error()}
	}
	r := result{Pod: encoded, Checks: map[string]string{}, Levels: map[string]string{}, Details: map[string]string{}}
	for _, c := range o.checks {
		var b strings.Builder
		for minor := 0; minor <= o.maxMinor; minor++ {
			vc := versionedCheck(c, minor)
			switch {
			case vc == nil:
				b.WriteByte('-')
			default:
				res := vc.CheckPod(&pod.ObjectMeta, &pod.Spec)
				if res.Allowed {
					b.WriteByte('.')
				} else {
					b.WriteByte('X')
					r.Details[string(c.ID)] = res.ForbiddenReason + ": " + res.ForbiddenDetail
				}
			}
		}
		r.Checks[string(c.ID)] = b.String()
	}
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		var b strings.Builder
		for minor := 0; minor <= o.maxMinor; minor++ {
			allowed := true
			for _, res := range o.evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: api.MajorMinorVersion(1, minor)}, &pod.ObjectMeta, &pod.Spec) {
				allowed = allowed && res.Allowed
			}
			if allowed {
				b.WriteByte('.')
			} else {
				b.WriteByte('X')
			}
		}
		// "latest" must evaluate as the newest numbered version; the test relies on it.
		latest := true
		for _, res := range o.evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: api.LatestVersion()}, &pod.ObjectMeta, &pod.Spec) {
			latest = latest && res.Allowed
		}
		if s := b.String(); (s[len(s)-1] == '.') != latest {
			r.Error = fmt.Sprintf("level %s: latest differs from v1.%d", level, o.maxMinor)
		}
		r.Levels[string(level)] = b.String()
	}
	return r
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle eval < pods.jsonl | oracle fixtures <testdata dir>")
		os.Exit(2)
	}
	o, err := newOracle()
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	enc := json.NewEncoder(out)
	switch os.Args[1] {
	case "eval":
		in := bufio.NewScanner(os.Stdin)
		in.Buffer(make([]byte, 1<<20), 64<<20)
		for in.Scan() {
			var line struct {
				ID  json.RawMessage `json:"id"`
				Pod json.RawMessage `json:"pod"`
			}
			var r result
			if err := json.Unmarshal(in.Bytes(), &line); err != nil {
				r = result{Error: "input line: " + err.Error()}
			} else {
				r = o.evaluate(line.Pod)
			}
			r.ID = line.ID
			must(enc.Encode(r))
		}
		must(in.Err())
	case "fixtures":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: oracle fixtures <testdata dir>")
			os.Exit(2)
		}
		root := os.Args[2]
		var files []string
		must(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
				files = append(files, path)
			}
			return err
		}))
		sort.Strings(files)
		for _, path := range files {
			rel, _ := filepath.Rel(root, path)
			parts := strings.Split(filepath.ToSlash(rel), "/")
			if len(parts) != 4 {
				continue
			}
			data, err := os.ReadFile(path)
			must(err)
			r := o.evaluate(data)
			r.Fixture = &fixture{Level: parts[0], Version: parts[1], Expect: parts[2], File: filepath.ToSlash(rel)}
			must(enc.Encode(r))
		}
	default:
		fmt.Fprintln(os.Stderr, "oracle: unknown command", os.Args[1])
		os.Exit(2)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(1)
	}
}
