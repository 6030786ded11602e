// Command oracle evaluates CEL expressions in the environment kube-apiserver
// 1.36 gives admission policies (k8s.io/apiserver's VAP compiler: the base
// environment, its libraries and cost limits, with object, oldObject, params,
// request, namespaceObject and authorizer declared), for podgate's CEL
// differential test (test/cel/run.ts). Built by test/cel/build.sh.
//
// JSON lines on stdin, one per case:
//
//	{"id": any, "expr": "...", "vars": {"object": {...}, "params": {...}},
//	 "authz"?: {"user": "...", "groups": [...], "rules": [...]}}
//
// vars are decoded as the apiserver decodes unstructured objects (JSON
// integers become int64). authz is the offline authorizer fixture podgate
// uses: the first rule that matches a check decides; no match is NoOpinion.
// One JSON line out per case:
//
//	{"id", "value"?: tagged value, "error"?: "...", "stage"?: "compile"|"eval", "cost"?: n}
//
// A tagged value is {"t": type name, "v": ...}: ints and uints as decimal
// strings, doubles as numbers (NaN and infinities as strings), bytes in
// base64, timestamps in RFC 3339, durations and the Kubernetes types
// (Quantity, IP, CIDR, URL, Semver) as their string forms, lists as arrays,
// maps as [key, value] pairs sorted by key, optionals with or without v.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"

	"k8s.io/apimachinery/pkg/util/version"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	apiservercel "k8s.io/apiserver/pkg/cel"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/cel/library"
)

type input struct {
	ID    json.RawMessage            `json:"id"`
	Expr  string                     `json:"expr"`
	Vars  map[string]json.RawMessage `json:"vars"`
	Authz *authzFixture              `json:"authz"`
}

type output struct {
	ID    json.RawMessage `json:"id"`
	Value any             `json:"value,omitempty"`
	Error string          `json:"error,omitempty"`
	Stage string          `json:"stage,omitempty"`
	Cost  *uint64         `json:"cost,omitempty"`
}

// authzFixture is podgate's offline authorizer: who asks, and rules that answer.
type authzFixture struct {
	User   string      `json:"user"`
	Groups []string    `json:"groups"`
	Rules  []authzRule `json:"rules"`
}

// authzRule matches a check when every field it sets equals the check's; "*" matches anything.
type authzRule struct {
	User        string `json:"user"`
	Verb        string `json:"verb"`
	Group       string `json:"group"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Path        string `json:"path"`
	Decision    string `json:"decision"`
	Reason      string `json:"reason"`
}

func (f *authzFixture) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	match := func(want, got string) bool { return want == "" || want == "*" || want == got }
	for _, r := range f.Rules {
		if !match(r.User, a.GetUser().GetName()) || !match(r.Verb, a.GetVerb()) {
			continue
		}
		if r.Path != "" {
			if a.IsResourceRequest() || !match(r.Path, a.GetPath()) {
				continue
			}
		} else if !a.IsResourceRequest() || !match(r.Group, a.GetAPIGroup()) || !match(r.Resource, a.GetResource()) ||
			!match(r.Subresource, a.GetSubresource()) || !match(r.Namespace, a.GetNamespace()) || !match(r.Name, a.GetName()) {
			continue
		}
		switch r.Decision {
		case "allow":
			return authorizer.DecisionAllow, r.Reason, nil
		case "deny":
			return authorizer.DecisionDeny, r.Reason, nil
		case "error":
			return authorizer.DecisionNoOpinion, r.Reason, fmt.Errorf("%s", r.Reason)
		}
		return authorizer.DecisionNoOpinion, r.Reason, nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

type expression string

func (e expression) GetExpression() string     { return string(e) }
func (e expression) ReturnTypes() []*cel.Type { return []*cel.Type{cel.AnyType} }

// unstructured decodes JSON as the apiserver's unstructured decoder does: integers as int64.
func unstructured(raw json.RawMessage) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

func tagged(t string, v any) map[string]any {
	if v == nil {
		return map[string]any{"t": t}
	}
	return map[string]any{"t": t, "v": v}
}

func encode(v ref.Val) any {
	switch x := v.(type) {
	case types.Int:
		return tagged("int", strconv.FormatInt(int64(x), 10))
	case types.Uint:
		return tagged("uint", strconv.FormatUint(uint64(x), 10))
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return tagged("double", strconv.FormatFloat(f, 'g', -1, 64))
		}
		return tagged("double", f)
	case types.String:
		return tagged("string", string(x))
	case types.Bool:
		return tagged("bool", bool(x))
	case types.Null:
		return tagged("null", nil)
	case types.Bytes:
		return tagged("bytes", base64.StdEncoding.EncodeToString([]byte(x)))
	case types.Timestamp:
		return tagged("timestamp", x.Time.UTC().Format(time.RFC3339Nano))
	case types.Duration:
		return tagged("duration", x.ConvertToType(types.StringType).(types.String))
	case *types.Optional:
		if !x.HasValue() {
			return tagged("optional", nil)
		}
		return tagged("optional", encode(x.GetValue()))
	case apiservercel.Quantity:
		return tagged("kubernetes.Quantity", x.Quantity.String())
	case *apiservercel.Quantity:
		return tagged("kubernetes.Quantity", x.Quantity.String())
	case apiservercel.IP:
		return tagged("net.IP", x.Addr.String())
	case apiservercel.CIDR:
		return tagged("net.CIDR", x.Prefix.String())
	case apiservercel.URL:
		return tagged("kubernetes.URL", x.URL.String())
	case apiservercel.Semver:
		return tagged("kubernetes.Semver", x.Version.String())
	case ref.Type:
		return tagged("type", x.TypeName())
	case traits.Lister:
		items := []any{}
		n := int64(x.Size().(types.Int))
		for i := int64(0); i < n; i++ {
			items = append(items, encode(x.Get(types.Int(i))))
		}
		return tagged("list", items)
	case traits.Mapper:
		type entry struct {
			key  string
			pair []any
		}
		entries := []entry{}
		for it := x.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ek := encode(k)
			kj, _ := json.Marshal(ek)
			entries = append(entries, entry{string(kj), []any{ek, encode(x.Get(k))}})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		pairs := []any{}
		for _, e := range entries {
			pairs = append(pairs, e.pair)
		}
		return tagged("map", pairs)
	}
	// The authorizer's values: a Decision shows what a policy can read of it.
	if v.Type().TypeName() == library.DecisionType.TypeName() {
		return tagged(v.Type().TypeName(), nil)
	}
	return tagged(v.Type().TypeName(), fmt.Sprint(v.Value()))
}

func main() {
	compiler := plugincel.NewCompiler(environment.MustBaseEnvSet(version.MajorMinor(1, 36)))
	options := plugincel.OptionalVariableDeclarations{HasParams: true, HasAuthorizer: true}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for in.Scan() {
		var c input
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintf(os.Stderr, "oracle: bad input line: %v\n", err)
			os.Exit(2)
		}
		_ = enc.Encode(evaluate(compiler, options, c))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "oracle: reading stdin: %v\n", err)
		os.Exit(2)
	}
}

func evaluate(compiler plugincel.Compiler, options plugincel.OptionalVariableDeclarations, c input) output {
	o := output{ID: c.ID}
	compiled := compiler.CompileCELExpression(expression(c.Expr), options, environment.NewExpressions)
	if compiled.Error != nil {
		o.Error, o.Stage = compiled.Error.Detail, "compile"
		return o
	}
	activation := map[string]any{}
	for name, raw := range c.Vars {
		v, err := unstructured(raw)
		if err != nil {
			o.Error, o.Stage = "vars."+name+": "+err.Error(), "input"
			return o
		}
		activation[name] = v
	}
	if c.Authz != nil {
		info := &user.DefaultInfo{Name: c.Authz.User, Groups: c.Authz.Groups}
		activation[plugincel.AuthorizerVarName] = library.NewAuthorizerVal(info, c.Authz)
	}
	value, details, err := compiled.Program.ContextEval(context.Background(), activation)
	if details != nil {
		o.Cost = details.ActualCost()
	}
	if err != nil {
		o.Error, o.Stage = strings.SplitN(err.Error(), "\n", 2)[0], "eval"
		return o
	}
	o.Value = encode(value)
	return o
}
