// The CEL differential test's corpus: for every function kube-apiserver 1.36
// offers admission policies, fixed cases (edge cases from the libraries' own
// docs and tests) and seeded random inputs. Each case is one expression and
// its variables; the oracle and podgate must agree on its value or on failing.
import type { AuthzFixture } from "../../webhooks/policy/cel-lib/authz.ts";
import { random } from "../support/random.ts";

export interface CelCase {
  /** The library function (or feature) the case proves, for the report. */
  readonly fn: string;
  readonly expr: string;
  readonly vars?: { readonly object?: unknown; readonly params?: unknown };
  readonly authz?: AuthzFixture;
  /** A known difference podgate cannot close, and why; the run lists it and fails if it starts agreeing. */
  readonly gap?: string;
}

const each = (fn: string, exprs: readonly string[]): CelCase[] => exprs.map((expr) => ({ fn, expr }));

/** Fixed cases, grouped by library. */
export const FIXED: readonly CelCase[] = [
  // ext.Strings v2
  ...each("strings.charAt", ["'hello'.charAt(4)", "'hello'.charAt(5)", "'hello'.charAt(-1)", "'héllo'.charAt(1)", "'😀x'.charAt(1)", "''.charAt(0)"]),
  ...each("strings.indexOf", ["'hello mellow'.indexOf('')", "'hello mellow'.indexOf('ello')", "'hello mellow'.indexOf('jello')", "'hello mellow'.indexOf('', 2)", "'hello mellow'.indexOf('ello', 2)", "'hello mellow'.indexOf('ello', 20)", "'hello mellow'.indexOf('ello', -1)", "'😀ab'.indexOf('b')", "'a😀b'.indexOf('b', 2)"]),
  ...each("strings.lastIndexOf", ["'hello mellow'.lastIndexOf('')", "'hello mellow'.lastIndexOf('ello')", "'hello mellow'.lastIndexOf('jello')", "'hello mellow'.lastIndexOf('ello', 6)", "'hello mellow'.lastIndexOf('ello', 20)", "'hello mellow'.lastIndexOf('ello', -1)", "'😀ab😀'.lastIndexOf('😀')"]),
  ...each("strings.lowerAscii", ["'TacoCat'.lowerAscii()", "'TacoCÆt Xii'.lowerAscii()"]),
  ...each("strings.upperAscii", ["'TacoCat'.upperAscii()", "'TacoCÆt Xii'.upperAscii()"]),
  ...each("strings.replace", ["'hello hello'.replace('he', 'we')", "'hello hello'.replace('he', 'we', -1)", "'hello hello'.replace('he', 'we', 1)", "'hello hello'.replace('he', 'we', 0)", "'hello hello'.replace('', '_')", "'hello hello'.replace('h', '')", "'a.b.c'.replace('.', '$$')", "'😀😀'.replace('', '-', 2)"]),
  ...each("strings.split", ["'hello hello hello'.split(' ')", "'hello hello hello'.split(' ', 0)", "'hello hello hello'.split(' ', 1)", "'hello hello hello'.split(' ', 2)", "'hello hello hello'.split(' ', -1)", "'abc'.split('')", "''.split(',')", "'a,b,'.split(',')"]),
  ...each("strings.substring", ["'tacocat'.substring(4)", "'tacocat'.substring(0, 4)", "'tacocat'.substring(-1)", "'tacocat'.substring(2, 1)", "'tacocat'.substring(7)", "'tacocat'.substring(8)", "'😀bc'.substring(1, 2)"]),
  ...each("strings.trim", ["'  \\ttrim\\n    '.trim()", "'\\u00a0x\\u2003'.trim()", "'\\u200bx'.trim()"]),
  ...each("strings.join", ["['hello', 'mellow'].join()", "['hello', 'mellow'].join(' ')", "[].join()", "[].join('/')"]),
  ...each("strings.quote", ["strings.quote('single-quote with \"double quote\"')", "strings.quote('two escape sequences \\a\\n')", "strings.quote('tab\\tand\\\\backslash')", "strings.quote('é😀')", "strings.quote('')"]),
  ...each("strings.format", [
    "'%s and %d'.format(['str', 42])",
    "'%s'.format([64.2])",
    "'%s'.format([type(string)])",
    "'%s'.format([timestamp('2023-02-03T23:31:20+00:00')])",
    "'%s'.format([duration('1h45m47s')])",
    "'%f'.format([3.14])",
    "'%.2f'.format([3.14159])",
    "'%.0f'.format([2.5])",
    "'%e'.format([2.71828])",
    "'%b'.format([5])",
    "'%x'.format([26])",
    "'%X'.format([26])",
    "'%o'.format([30])",
    "'%x'.format(['hello'])",
    "'%s'.format([[1, 2, 3]])",
    "'%s'.format([{'a': 1}])",
    "'%s %s'.format([true, null])",
    "'%b'.format([true])",
    "'%d'.format([3u])",
    "'100%%'.format([])",
    "'%d'.format(['x'])",
    "'%s %s'.format(['one'])",
    "'%f'.format([1])",
    "'%s'.format([b'abc'])",
    "'%s'.format([1.0])",
    "'%s'.format([1e21])",
    "'%s'.format([-0.0])",
    "'%f'.format([double('NaN')])",
    "'%d'.format([-7])",
    "'%x'.format([-26])",
    // Checked at compile time when the format and the list are literals.
    "'%s'.format([quantity('1')])",
    "'%s'.format([[quantity('1')]])",
    "'%s'.format([{'a': ip('1.2.3.4')}])",
    "'%s'.format([dyn(quantity('1'))])",
    "'%s'.format([optional.of(1)])",
    "'%d'.format([1.5])",
    "'%x'.format([true])",
    "'%b'.format([true, 1])",
    "'%s'.format(['a', 'b'])",
    "'%f'.format(['NaN'])",
    "'%e'.format(['x'])",
    "'%s'.format(dyn([quantity('1')]))",
  ]),
  // ext.Sets
  ...each("sets.contains", ["sets.contains([], [])", "sets.contains([], [1])", "sets.contains([1, 2, 3, 4], [2, 3])", "sets.contains([1, 2.0, 3u], [1.0, 2u, 3])", "sets.contains([[1], [2, 3]], [[2, 3.0]])", "sets.contains([1], [2])"]),
  ...each("sets.equivalent", ["sets.equivalent([], [])", "sets.equivalent([1], [1, 1])", "sets.equivalent([1], [1u, 1.0])", "sets.equivalent([1, 2, 3], [3u, 2.0, 1])", "sets.equivalent([1, 2], [2, 2, 2])", "sets.equivalent([1, 2], [1])"]),
  ...each("sets.intersects", ["sets.intersects([1], [])", "sets.intersects([1], [1, 2])", "sets.intersects([[1], [2, 3]], [[1, 2], [2, 3.0]])", "sets.intersects([1], [2])"]),
  // ext.TwoVarComprehensions
  ...each("comprehensions.all", ["[1, 2].all(i, v, i < v)", "{'a': 1, 'b': 2}.all(k, v, k.size() == v)", "[].all(i, v, false)", "[1, 2].all(i, v, v / (i - 1) > 0)"]),
  ...each("comprehensions.exists", ["[1, 2].exists(i, v, i == 1 && v == 2)", "{'a': 1}.exists(k, v, k == 'a' && v == 1)", "[0, 1].exists(i, v, 1 / v == 1)", "[0, 1].exists(i, v, 1 / (v - 1) == 1)"]),
  ...each("comprehensions.existsOne", ["[1, 2, 3].existsOne(i, v, v > 2)", "{'a': 1, 'b': 1}.existsOne(k, v, v == 1)", "[1, 2].existsOne(v, v == 2)", "[1, 2].exists_one(v, v > 0)"]),
  ...each("comprehensions.transformList", ["[1, 2, 3].transformList(i, v, i * v)", "[1, 2, 3].transformList(i, v, i > 0, v)", "{'a': 1, 'b': 2}.transformList(k, v, v).sort()", "{'b': 2, 'a': 1}.transformList(k, v, k).sort()"]),
  ...each("comprehensions.transformMap", ["[1, 2].transformMap(i, v, v * 2)", "[1, 2, 3].transformMap(i, v, v > 1, v)", "{'a': 1}.transformMap(k, v, v + 1)", "{'a': 1, 'b': 2}.transformMap(k, v, k == 'b', k)"]),
  ...each("comprehensions.transformMapEntry", ["[1, 2].transformMapEntry(i, v, {string(v): i})", "{'a': 'x'}.transformMapEntry(k, v, {v: k})", "[1, 2].transformMapEntry(i, v, v > 1, {'k': v})", "[1, 1].transformMapEntry(i, v, {v: i})"]),
  // ext.Lists v3
  ...each("lists.slice", ["[1, 2, 3, 4].slice(1, 3)", "[1, 2, 3, 4].slice(2, 4)", "[1, 2].slice(0, 0)", "[1, 2].slice(-1, 1)", "[1, 2].slice(1, 0)", "[1, 2].slice(0, 3)"]),
  ...each("lists.flatten", ["[1, [2, 3], [4]].flatten()", "[1, [2, [3, 4]]].flatten()", "[1, 2, [], [], [3, 4]].flatten()", "[1, [2, [3, [4]]]].flatten(2)", "[1, [2, [3, [4]]]].flatten(-1)", "[[1]].flatten(0)", "dyn([1, [2]]).flatten()"]),
  ...each("lists.range", ["lists.range(5)", "lists.range(0)", "lists.range(-1)"]),
  ...each("lists.distinct", ["[1, 2, 2, 3, 3, 3].distinct()", "['b', 'b', 'c', 'a', 'c'].distinct()", "dyn([1, 'b', 2, 'b']).distinct()", "[1, 1.0, 1u].distinct()", "[[1], [1], [2]].distinct()"]),
  ...each("lists.reverse", ["[5, 3, 1, 2].reverse()", "[].reverse()"]),
  ...each("lists.sort", ["[3, 2, 1].sort()", "['b', 'c', 'a'].sort()", "dyn([1, 'b']).sort()", "[[1, 2, 3]].sort()", "[2.5, -1.0, 3.0].sort()", "[true, false].sort()", "[b'b', b'a'].sort()", "[duration('2s'), duration('1s')].sort()", "[timestamp('2024-01-02T00:00:00Z'), timestamp('2024-01-01T00:00:00Z')].sort()", "['B', 'a', 'é', 'e'].sort()"]),
  ...each("lists.sortBy", ["[{'n': 'a', 's': 2}, {'n': 'b', 's': 1}].sortBy(e, e.s).map(e, e.n)", "[3, 1, 2].sortBy(x, -x)", "[1, 2].sortBy(x, [x])"]),
  // Kubernetes lists
  ...each("k8s.lists.isSorted", ["[1, 2, 3].isSorted()", "[1, 3, 2].isSorted()", "['a', 'b'].isSorted()", "[].isSorted()", "[1.0, 1.0].isSorted()", "[true, false].isSorted()"]),
  ...each("k8s.lists.sum", ["[1, 2, 3].sum()", "[1.5, 2.5].sum()", "[1u, 2u].sum()", "[duration('1s'), duration('2m')].sum()", "[].sum()", "[9223372036854775807, 1].sum()"]),
  ...each("k8s.lists.min", ["[3, 1, 2].min()", "['b', 'a'].min()", "[].min()", "[1.5].min()", "[true, false].min()"]),
  ...each("k8s.lists.max", ["[3, 1, 2].max()", "['b', 'a'].max()", "[].max()", "[timestamp('2024-01-01T00:00:00Z'), timestamp('2025-01-01T00:00:00Z')].max()"]),
  ...each("k8s.lists.indexOf", ["[1, 2, 2, 3].indexOf(2)", "[1, 2].indexOf(5)", "['a', 'b'].indexOf('b')", "[[1], [2]].indexOf([2])", "[1.0, 2.0].indexOf(2.0)", "[].indexOf(1)"]),
  ...each("k8s.lists.lastIndexOf", ["[1, 2, 2, 3].lastIndexOf(2)", "[1, 2].lastIndexOf(5)", "['a', 'a'].lastIndexOf('a')"]),
  // Kubernetes regex
  ...each("k8s.regex.find", ["'abc 123'.find('[0-9]+')", "'abc'.find('[0-9]+')", "'abc'.find('(')", "'ab😀cd'.find('😀.')", "'aaa'.find('a*?')"]),
  ...each("k8s.regex.findAll", ["'123 abc 456'.findAll('[0-9]+')", "'123 abc 456'.findAll('[0-9]+', 1)", "'123 abc 456'.findAll('[0-9]+', 0)", "'123 abc 456'.findAll('[0-9]+', -1)", "'abc'.findAll('x')", "'aaa'.findAll('')", "'abc'.findAll('[')"]),
  ...each("matches", ["'hello'.matches('^h.*o$')", "'hello'.matches('ell')", "'a\\nb'.matches('a.b')", "'a\\nb'.matches('(?s)a.b')", "'ABC'.matches('(?i)abc')", "'abc'.matches('\\\\p{Greek}')", "'x'.matches('[[:alpha:]]')", "'x'.matches('(?P<n>x)')", "'x'.matches('(?<n>x)')", "'aa'.matches('a{2}')", "'a'.matches('\\\\Ca')", "'a'.matches('a++')", "'a'.matches('(?=a)')"]),
  // Kubernetes URLs
  ...each("k8s.url", [
    "url('https://example.com:80/').getScheme()",
    "url('https://example.com:80/').getHost()",
    "url('https://[::1]:80/').getHost()",
    "url('https://[::1]:80/').getHostname()",
    "url('https://example.com:80/').getPort()",
    "url('https://example.com/').getPort()",
    "url('https://example.com/path with spaces/').getEscapedPath()",
    "url('https://example.com/').getEscapedPath()",
    "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()",
    "url('https://example.com/').getQuery()",
    "url('/absolute-path').getScheme()",
    "url('/absolute-path').getEscapedPath()",
    "url('a-relative-path')",
    "url('')",
    "url('https://user:pass@example.com')",
    "isURL('https://example.com')",
    "isURL('a-relative-path')",
    "isURL('')",
    "isURL('http://%zz')",
    "url('HTTPS://EXAMPLE.com/A').getScheme()",
    "url('https://example.com/a%2Fb').getEscapedPath()",
    "url('https://example.com/?a=1&a=2&b').getQuery()",
    "url('https://example.com/#frag').getEscapedPath()",
    "url('https://example.com:/').getPort()",
  ]),
  // Kubernetes quantity
  ...each("k8s.quantity", [
    "quantity('1Gi').add(quantity('512Mi'))",
    "quantity('50k').add(20)",
    "quantity('1').sub(quantity('100m'))",
    "quantity('200M').sub(1000)",
    "quantity('1.5').isInteger()",
    "quantity('1').isInteger()",
    "quantity('1.5').asApproximateFloat()",
    "quantity('1Mi').asInteger()",
    "quantity('1.5').asInteger()",
    "quantity('9E').add(quantity('9E')).isInteger()",
    "quantity('50M').compareTo(quantity('50Mi'))",
    "quantity('50Mi').isGreaterThan(quantity('50M'))",
    "quantity('50M').isLessThan(quantity('100M'))",
    "sign(quantity('-1'))",
    "sign(quantity('0'))",
    "quantity('1m').sign()",
    "isQuantity('1.3G')",
    "isQuantity('1.3Gi')",
    "isQuantity('1,3Gi')",
    "isQuantity('10000k')",
    "isQuantity('200K')",
    "isQuantity('Three')",
    "isQuantity('Mi')",
    "quantity('1,3Gi')",
    "quantity('1e3')",
    "quantity('0.1').add(quantity('0.2')).compareTo(quantity('0.3'))",
    "quantity('1500m')",
    "quantity('1000m')",
    "quantity('0.5Gi')",
    "quantity('1024Mi')",
    "quantity('1e-3')",
    "quantity('100n')",
    "quantity('1n').add(quantity('1'))",
    "quantity('1Ki').add(quantity('1k'))",
    "quantity('.5')",
    "quantity('+1')",
    "quantity('-0')",
    "quantity('1.')",
  ]),
  // Kubernetes IP and CIDR
  ...each("k8s.ip", [
    "ip('127.0.0.1').family()",
    "ip('::1').family()",
    "ip('192.168.0.1').isUnspecified()",
    "ip('0.0.0.0').isUnspecified()",
    "ip('::').isUnspecified()",
    "ip('127.0.0.1').isLoopback()",
    "ip('::1').isLoopback()",
    "ip('224.0.0.1').isLinkLocalMulticast()",
    "ip('ff02::1').isLinkLocalMulticast()",
    "ip('169.254.169.254').isLinkLocalUnicast()",
    "ip('fe80::1').isLinkLocalUnicast()",
    "ip('192.168.0.1').isGlobalUnicast()",
    "ip('255.255.255.255').isGlobalUnicast()",
    "ip('2001:db8::abcd').isGlobalUnicast()",
    "ip.isCanonical('127.0.0.1')",
    "ip.isCanonical('2001:db8::abcd')",
    "ip.isCanonical('2001:DB8::ABCD')",
    "ip.isCanonical('2001:db8::0:0:0:abcd')",
    "ip.isCanonical('127.0.0.01')",
    "isIP('127.0.0.1')",
    "isIP('::1')",
    "isIP('127.0.0.256')",
    "isIP('::ffff:127.0.0.1')",
    "isIP('fe80::1%eth0')",
    "isIP('127.0.0.01')",
    "ip('::ffff:127.0.0.1')",
    "string(ip('2001:DB8::1'))",
    "ip('127.0.0.1') == ip('127.0.0.1')",
    "ip('1.2.3.4')",
  ]),
  ...each("k8s.cidr", [
    "cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))",
    "cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))",
    "cidr('192.168.0.0/24').containsIP('192.168.0.1')",
    "cidr('192.168.0.0/24').containsIP('::1')",
    "cidr('192.168.0.0/24').containsCIDR(cidr('192.168.0.0/25'))",
    "cidr('192.168.0.0/24').containsCIDR('192.168.0.0/23')",
    "cidr('2001:db8::/32').containsCIDR(cidr('2001:db8::/33'))",
    "cidr('192.168.0.0/24').ip()",
    "cidr('192.168.0.1/24').ip()",
    "cidr('192.168.0.1/24').masked()",
    "cidr('192.168.0.1/24').prefixLength()",
    "cidr('::1/128').ip().family()",
    "isCIDR('192.168.0.0/24')",
    "isCIDR('192.168.0.0/33')",
    "isCIDR('192.168.0.0')",
    "isCIDR('::1/128')",
    "isCIDR('::ffff:1.2.3.4/120')",
    "string(cidr('192.168.0.1/24'))",
    "cidr('10.0.0.0/8') == cidr('10.0.0.0/8')",
    "cidr('10.0.0.0/8').containsIP(cidr('10.1.0.0/16').ip())",
  ]),
  // Kubernetes format
  ...each("k8s.format", [
    "format.dns1123Label().validate('my-name')",
    "format.dns1123Label().validate('My_Name')",
    "format.dns1123Subdomain().validate('a.b.c')",
    "format.dns1035Label().validate('1abc')",
    "format.qualifiedName().validate('example.com/name')",
    "format.qualifiedName().validate('-bad')",
    "format.dns1123LabelPrefix().validate('my-')",
    "format.dns1123SubdomainPrefix().validate('a.b-')",
    "format.dns1035LabelPrefix().validate('a-')",
    "format.labelValue().validate('value_1')",
    "format.labelValue().validate('bad value')",
    "format.uri().validate('http://example.com')",
    "format.uri().validate('not a uri')",
    "format.uuid().validate('123e4567-e89b-12d3-a456-426614174000')",
    "format.uuid().validate('123e4567')",
    "format.byte().validate('aGVsbG8=')",
    "format.byte().validate('!!')",
    "format.date().validate('2024-02-29')",
    "format.date().validate('2023-02-29')",
    "format.datetime().validate('2024-01-01T00:00:00Z')",
    "format.datetime().validate('2024-01-01 00:00')",
    "format.named('dns1123Label').hasValue()",
    "format.named('nope').hasValue()",
    "format.named('dns1123Label').value().validate('x')",
  ]),
  // Kubernetes semver
  ...each("k8s.semver", [
    "semver('1.0.0')",
    "semver('v1.0.0', true)",
    "semver('1.0', true)",
    "semver('01.01.01', true)",
    "semver('1.0')",
    "isSemver('1.0.0')",
    "isSemver('v1.0.0')",
    "isSemver('v1.0.0', true)",
    "isSemver('1.0.0-alpha+build')",
    "isSemver('hello')",
    "semver('1.2.3').major()",
    "semver('1.2.3').minor()",
    "semver('1.2.3').patch()",
    "semver('1.0.0').isGreaterThan(semver('0.9.9'))",
    "semver('1.0.0').isLessThan(semver('1.0.0-alpha'))",
    "semver('1.0.0-alpha').compareTo(semver('1.0.0-alpha.1'))",
    "semver('1.0.0-alpha.beta').compareTo(semver('1.0.0-beta'))",
    "semver('1.0.0+build1').compareTo(semver('1.0.0+build2'))",
    "semver('1.0.0-rc.11').compareTo(semver('1.0.0-rc.2'))",
  ]),
  // Optional types
  ...each("optional", [
    "optional.of(1).hasValue()",
    "optional.none().hasValue()",
    "optional.ofNonZeroValue(0).hasValue()",
    "optional.ofNonZeroValue('').hasValue()",
    "optional.ofNonZeroValue([1]).value()",
    "optional.of(1).orValue(2)",
    "optional.none().orValue(2)",
    "optional.none().or(optional.of(3)).value()",
    "optional.of(2).optMap(x, x * 2).value()",
    "optional.none().optMap(x, x * 2).hasValue()",
    "optional.of(2).optFlatMap(x, optional.of(x + 1)).value()",
    "{'a': 1}[?'a'].orValue(0)",
    "{'a': 1}[?'b'].orValue(0)",
    "[1, 2][?1].value()",
    "[1, 2][?5].hasValue()",
    "{'a': {'b': 1}}.?a.?b.orValue(0)",
    "optional.none().value()",
  ]),
  // The per-expression cost limit (1,000,000): library calls are charged by the work they do.
  ...each("cost", [
    "lists.range(2000000).size()",
    "lists.range(1000).size()",
    "sets.contains(lists.range(2000), lists.range(2000))",
    "lists.range(100000).sort().size()",
    "lists.range(2000).distinct().size()",
    "lists.range(1000).map(i, lists.range(1000).size()).size()",
    "lists.range(2000).all(i, lists.range(2000).exists(j, j == i))",
  ]),
  // Kubernetes' authorizer, answered from a fixture (the first matching rule decides; none is NoOpinion).
  ...[
    "authorizer.group('').resource('pods').namespace('team-a').check('create').allowed()",
    "authorizer.group('').resource('pods').namespace('team-b').check('create').allowed()",
    "authorizer.group('').resource('pods').namespace('team-b').check('create').reason()",
    "authorizer.group('apps').resource('deployments').subresource('scale').namespace('team-a').name('web').check('update').allowed()",
    "authorizer.group('').resource('secrets').namespace('team-a').check('get').allowed()",
    "authorizer.group('').resource('secrets').namespace('team-a').check('get').reason()",
    "authorizer.group('').resource('secrets').namespace('team-a').check('list').errored()",
    "authorizer.group('').resource('secrets').namespace('team-a').check('list').error()",
    "authorizer.group('').resource('secrets').namespace('team-a').check('watch').errored()",
    "authorizer.path('/healthz').check('get').allowed()",
    "authorizer.path('/metrics').check('get').allowed()",
    "authorizer.serviceAccount('team-a', 'builder').group('').resource('pods').namespace('team-a').check('create').allowed()",
    "authorizer.group('').resource('pods').fieldSelector('spec.nodeName=n1').labelSelector('app=web').namespace('team-a').check('list').allowed()",
  ].map((expr): CelCase => ({
    fn: "k8s.authz",
    expr,
    authz: {
      user: "alice",
      groups: ["devs"],
      rules: [
        { user: "alice", verb: "create", resource: "pods", namespace: "team-a", decision: "allow", reason: "devs create pods in team-a" },
        { user: "alice", verb: "create", resource: "pods", decision: "deny", reason: "only in team-a" },
        { user: "alice", verb: "update", group: "apps", resource: "deployments", subresource: "scale", name: "web", decision: "allow" },
        { verb: "get", resource: "secrets", decision: "noOpinion", reason: "no rule for secrets" },
        { verb: "list", resource: "secrets", decision: "error", reason: "authorizer unavailable" },
        { user: "alice", verb: "list", resource: "pods", decision: "allow" },
        { path: "/healthz", verb: "get", decision: "allow" },
        { user: "system:serviceaccount:team-a:builder", verb: "create", resource: "pods", decision: "allow" },
      ],
    },
  })),
  // Syntax cel-js's parser lacks.
  { fn: "optional", expr: "{?'a': optional.of(1), ?'b': optional.none()}", gap: "cel-js cannot parse optional map entries ({?k: v}): podgate refuses the expression at load" },
  { fn: "optional", expr: "[?optional.of(1), ?optional.none(), 2]", gap: "cel-js cannot parse optional list elements ([?x]): podgate refuses the expression at load" },
  { fn: "core", expr: "has({'a': 1}.a)", gap: "cel-js's has() takes only a field path rooted at a variable: podgate refuses the expression at load" },
  // jsonpatch (mutating policies' environment only: the validating one must refuse it)
  ...each("k8s.jsonpatch", ["jsonpatch.escapeKey('a/b~c')"]),
  // Cross-type numeric comparison and core semantics both sides must keep
  ...each("core", [
    "1 < 1.5",
    "1u == 1",
    "1 == 1.0",
    "[1, 2] == [1.0, 2u]",
    "{'a': 1} == {'a': 1.0}",
    "9223372036854775807 + 1",
    "-9223372036854775808 - 1",
    "1 / 0",
    "1 % 0",
    "5 / -2",
    "-5 % 3",
    "1.0 / 0.0",
    "int(1e19)",
    "uint(-1)",
    "int('0x10')",
    "int(' 1')",
    "int('-9223372036854775808')",
    "int('9223372036854775808')",
    "int(-9223372036854775808.0)",
    "int(9223372036854774784.0)",
    "int(-1.9)",
    "int(1u)",
    "int(18446744073709551615u)",
    "int(timestamp('2024-01-01T00:00:00Z'))",
    "double('0x1p-2')",
    "double('inf')",
    "double('-Infinity')",
    "double('1_000')",
    "double('1__0')",
    "double('_1')",
    "double('1e1_0')",
    "double('.5')",
    "double('5.')",
    "double(' 1')",
    "double('NaN') == double('NaN')",
    "double(18446744073709551615u)",
    "uint(1.5)",
    "uint('18446744073709551616')",
    "string(b'\\xff')",
    "string(timestamp('2024-01-01T00:00:00.5Z'))",
    "string(duration('1.5s'))",
    "string(duration('-90m'))",
    "double('1e400')",
    "string(1.5)",
    "string(1e21)",
    "string(0.1 + 0.2)",
    "string(-0.0)",
    "string(100000000.0)",
    "string(1e-7)",
    "'abc'.size()",
    "'😀'.size()",
    "size(b'\\xff')",
    "'a' + 'b' == 'ab'",
    "timestamp('2024-01-01T00:00:00Z') + duration('1h')",
    "duration('1h30m').getMinutes()",
    "timestamp('2024-03-10T12:00:00Z').getHours('America/New_York')",
    "type(1) == int",
    "type(quantity('1')) == type(quantity('2'))",
    "dyn(1) in [1.0]",
    "'a' in {'a': 1}",
    "{'a': 1}.b",
    "[1, 2, 3].map(x, x * 2).filter(x, x > 2)",
    "[1, 2, 3].exists(x, x / 0 == 1)",
    "[1, 2, 3].all(x, x > 0)",
    "cel.bind(x, 2, x * x)",
    "math.greatest(1, 2)",
    "base64.encode(b'hi')",
    "'%s'.format(['x']) == 'x'",
    "[1, 2, 3].first()",
    "[1, 2, 3].last()",
    "[].first()",
    "[].last()",
    "[optional.of(1), optional.none()].unwrapOpt()",
    "optional.unwrap([optional.none(), optional.of('a')])",
    "'abc'.reverse()",
  ]),
];


type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

function quantityText(rng: Rng): string {
  const suffix = pick(rng, ["", "", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "e3", "E2", "e-2", "x"]);
  const digits = String(int(rng, 0, rng() < 0.2 ? 999_999_999 : 2048));
  const fraction = rng() < 0.3 ? `.${String(int(rng, 0, 999)).padStart(int(rng, 1, 3), "0")}` : "";
  const sign = pick(rng, ["", "", "", "-", "+"]);
  return `${sign}${digits}${fraction}${suffix}`;
}

function ipText(rng: Rng): string {
  if (rng() < 0.5) {
    const parts = Array.from({ length: rng() < 0.05 ? 3 : 4 }, () => String(pick(rng, [0, 1, 10, 127, 169, 172, 192, 224, 254, 255, int(rng, 0, 256)])));
    return parts.join(".");
  }
  const groups = Array.from({ length: 8 }, () => (rng() < 0.4 ? "0" : int(rng, 0, 0xffff).toString(16)));
  if (rng() < 0.2) groups[0] = pick(rng, ["fe80", "ff02", "2001", "fc00", "ff05"]);
  let text = groups.join(":");
  if (rng() < 0.4) text = text.replace(/(^|:)0(:0)+(:|$)/, "::");
  if (rng() < 0.1) text = text.toUpperCase();
  if (rng() < 0.05) text = `::ffff:${int(rng, 0, 255)}.0.0.1`;
  return text;
}

function cidrText(rng: Rng): string {
  const ip = ipText(rng);
  return `${ip}/${int(rng, 0, ip.includes(":") ? 129 : 33)}`;
}

function semverText(rng: Rng): string {
  const core = Array.from({ length: rng() < 0.1 ? 2 : 3 }, () => String(pick(rng, [0, 1, 2, 10, int(rng, 0, 99)]))).join(".");
  const pre = rng() < 0.4 ? `-${pick(rng, ["alpha", "beta", "rc", "0", "1", "alpha.1", "rc.11", "rc.2", "x-y"])}` : "";
  const build = rng() < 0.2 ? `+${pick(rng, ["build", "001", "sha.5114f85"])}` : "";
  return `${rng() < 0.1 ? "v" : ""}${core}${pre}${build}`;
}

function urlText(rng: Rng): string {
  const scheme = pick(rng, ["https://", "http://", "HTTP://", "", "ftp://", "/"]);
  const host = pick(rng, ["example.com", "EXAMPLE.com", "[::1]", "127.0.0.1", "a.b.c", "", "user:pw@h"]);
  const port = pick(rng, ["", "", ":80", ":8443", ":"]);
  const path = pick(rng, ["", "/", "/a/b", "/with space", "/a%2Fb", "/é"]);
  const query = pick(rng, ["", "?a=1", "?a=1&a=2&b", "?k=v%20w", "?"]);
  return `${scheme}${host}${port}${path}${query}`;
}

function word(rng: Rng): string {
  const alphabet = "abcAB-._ 0é😀";
  return Array.from({ length: int(rng, 0, 8) }, () => pick(rng, [...alphabet])).join("");
}

/** A random RE2 pattern from the features policies use (and some they should not: those must fail alike). */
function regexText(rng: Rng, depth = 0): string {
  const atoms = ["a", "b", "A", "é", "😀", ".", "\\d", "\\w", "\\s", "\\S", "\\b", "[a-c]", "[^a]", "[[:alpha:]]", "[[:^digit:]]", "\\pL", "\\p{Greek}", "^", "$", "\\A", "\\z", "\\.", "\\n", " ", "-", "[\\d-]", "(?i)", "(?s)", "(?m)", "(?U)", "\\Q.*\\E", "x{2}", "\\x41"];
  let out = "";
  for (let n = int(rng, 1, 4); n > 0; n--) {
    let atom = depth < 2 && rng() < 0.15 ? `(${pick(rng, ["", "?:", "?P<g>", "?i:"])}${regexText(rng, depth + 1)}${rng() < 0.3 ? `|${regexText(rng, depth + 1)}` : ""})` : pick(rng, atoms);
    if (rng() < 0.3 && !atom.startsWith("(?") && !["^", "$", "\\A", "\\z", "\\b"].includes(atom)) atom += pick(rng, ["*", "+", "?", "{1,2}", "*?", "+?", "??", "{0}", "{2,}"]);
    out += atom;
  }
  return out;
}

function subjectText(rng: Rng): string {
  return Array.from({ length: int(rng, 0, 10) }, () => pick(rng, ["a", "b", "A", "B", "é", "É", "😀", "1", "2", " ", "\n", ".", "x", "-", "_", "Ω", "\t"])).join("");
}

/** Random cases: one generator per function family, inputs passed as params. */
const GENERATORS: readonly ((rng: Rng) => CelCase)[] = [
  (rng) => ({ fn: "regex", expr: pick(rng, ["params.s.matches(params.re)", "params.s.find(params.re)", "params.s.findAll(params.re)", "params.s.findAll(params.re, 1)", "matches(params.s, params.re)"]), vars: { params: { s: subjectText(rng), re: regexText(rng) } } }),
  (rng) => ({ fn: "k8s.quantity", expr: pick(rng, ["isQuantity(params.a)", "quantity(params.a)", "quantity(params.a).isInteger()", "sign(quantity(params.a))", "quantity(params.a).asApproximateFloat()", "quantity(params.a).asInteger()"]), vars: { params: { a: quantityText(rng) } } }),
  (rng) => ({ fn: "k8s.quantity", expr: pick(rng, ["quantity(params.a).add(quantity(params.b))", "quantity(params.a).sub(quantity(params.b))", "quantity(params.a).compareTo(quantity(params.b))", "quantity(params.a).isLessThan(quantity(params.b))", "quantity(params.a).add(params.n)", "quantity(params.a).sub(params.n)"]), vars: { params: { a: quantityText(rng), b: quantityText(rng), n: int(rng, -5000, 5000) } } }),
  (rng) => ({ fn: "k8s.ip", expr: pick(rng, ["isIP(params.a)", "ip(params.a)", "ip(params.a).family()", "ip.isCanonical(params.a)", "ip(params.a).isLoopback()", "ip(params.a).isGlobalUnicast()", "ip(params.a).isLinkLocalUnicast()", "ip(params.a).isLinkLocalMulticast()", "ip(params.a).isUnspecified()", "string(ip(params.a))"]), vars: { params: { a: ipText(rng) } } }),
  (rng) => ({ fn: "k8s.cidr", expr: pick(rng, ["isCIDR(params.a)", "cidr(params.a)", "cidr(params.a).masked()", "cidr(params.a).ip()", "cidr(params.a).prefixLength()", "cidr(params.a).containsIP(params.b)", "cidr(params.a).containsCIDR(params.c)"]), vars: { params: { a: cidrText(rng), b: ipText(rng), c: cidrText(rng) } } }),
  (rng) => ({ fn: "k8s.semver", expr: pick(rng, ["isSemver(params.a)", "isSemver(params.a, true)", "semver(params.a)", "semver(params.a, true)", "semver(params.a, true).compareTo(semver(params.b, true))", "semver(params.a, true).major()"]), vars: { params: { a: semverText(rng), b: semverText(rng) } } }),
  (rng) => ({ fn: "k8s.url", expr: pick(rng, ["isURL(params.a)", "url(params.a)", "url(params.a).getScheme()", "url(params.a).getHost()", "url(params.a).getHostname()", "url(params.a).getPort()", "url(params.a).getEscapedPath()", "url(params.a).getQuery()"]), vars: { params: { a: urlText(rng) } } }),
  (rng) => ({ fn: "strings", expr: pick(rng, ["params.s.indexOf(params.t)", "params.s.lastIndexOf(params.t)", "params.s.replace(params.t, '_')", "params.s.split(params.t)", "params.s.charAt(params.n)", "params.s.substring(params.n)", "params.s.trim()", "params.s.upperAscii()", "strings.quote(params.s)", "params.s.indexOf(params.t, params.n)", "params.s.size()", "params.s.contains(params.t)"]), vars: { params: { s: word(rng), t: [...word(rng)].slice(0, int(rng, 0, 2)).join(""), n: int(rng, -1, 9) } } }),
  (rng) => ({ fn: "k8s.format", expr: `format.${pick(rng, ["dns1123Label", "dns1123Subdomain", "dns1035Label", "qualifiedName", "labelValue", "dns1123LabelPrefix"])}().validate(params.s)`, vars: { params: { s: word(rng) } } }),
  (rng) => {
    const list = Array.from({ length: int(rng, 0, 6) }, () => int(rng, -3, 3));
    return { fn: "lists", expr: pick(rng, ["params.l.isSorted()", "params.l.sum()", "params.l.min()", "params.l.max()", "params.l.indexOf(1)", "params.l.lastIndexOf(1)", "params.l.distinct()", "params.l.sort()", "params.l.reverse()", "params.l.slice(0, params.l.size() / 2)", "sets.contains(params.l, [1, 2])", "sets.equivalent(params.l, [1, 2])", "params.l.transformList(i, v, i * v)", "params.l.all(i, v, v >= i)"]), vars: { params: { l: list } } };
  },
];

export function generated(seed: number, count: number): CelCase[] {
  const rng = random(seed);
  return Array.from({ length: count }, () => pick(rng, GENERATORS)(rng));
}
