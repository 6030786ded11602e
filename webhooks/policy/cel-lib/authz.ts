// Kubernetes' authorizer library for CEL (k8s.io/apiserver/pkg/cel/library
// authz.go): `authorizer.group('').resource('pods').namespace(ns).check('create').allowed()`.
// podgate cannot ask the cluster's authorizer from a policy evaluation, so
// checks are answered from an authorizer fixture (offline tests), or refused
// with a message that says so.
import type { Environment } from "@marcbachmann/cel-js";
import { z } from "zod";
import { celError } from "./value.ts";

const rule = z.strictObject({
  user: z.string().optional(),
  verb: z.string().optional(),
  group: z.string().optional(),
  resource: z.string().optional(),
  subresource: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  /** A non-resource request's path; a rule with a path matches only those. */
  path: z.string().optional(),
  decision: z.enum(["allow", "deny", "noOpinion", "error"]),
  reason: z.string().default(""),
});

/**
 * Rules that answer authorizer checks offline: the first rule whose set fields
 * all match ("*" matches anything) decides; none is NoOpinion. `user` and
 * `groups` name who asks when there is no request to take them from.
 */
export const authzFixture = z.strictObject({
  user: z.string().optional(),
  groups: z.array(z.string()).optional(),
  rules: z.array(rule).default([]),
});
export type AuthzFixture = z.input<typeof authzFixture>;
type Fixture = z.output<typeof authzFixture>;

interface User {
  readonly name: string;
  readonly groups: readonly string[];
}

/** One check's attributes, as authorizer.AttributesRecord holds them. */
interface Attributes {
  readonly user: User;
  readonly verb: string;
  readonly path?: string;
  readonly group?: string;
  readonly resource?: string;
  readonly subresource?: string;
  readonly namespace?: string;
  readonly name?: string;
}

export class Decision {
  readonly decision: "allow" | "deny" | "noOpinion";
  readonly reason: string;
  readonly error: string | undefined;
  constructor(decision: "allow" | "deny" | "noOpinion", reason: string, error: string | undefined) {
    this.decision = decision;
    this.reason = reason;
    this.error = error;
  }
}

type Answer = (attributes: Attributes) => Decision;

const NO_FIXTURE =
  "authorizer checks need the cluster's authorizer, which podgate does not call from a policy: give the test case an authorizer fixture (user, groups, rules) to answer them offline";

function answerFrom(fixture: Fixture | undefined): Answer {
  if (!fixture) {
    return () => {
      throw celError(NO_FIXTURE);
    };
  }
  const match = (want: string | undefined, got: string | undefined) => want === undefined || want === "*" || want === (got ?? "");
  return (a) => {
    for (const r of fixture.rules) {
      if (!match(r.user, a.user.name) || !match(r.verb, a.verb)) continue;
      if (r.path !== undefined ? a.path === undefined || !match(r.path, a.path) : a.path !== undefined) continue;
      if (a.path === undefined && ![match(r.group, a.group), match(r.resource, a.resource), match(r.subresource, a.subresource), match(r.namespace, a.namespace), match(r.name, a.name)].every(Boolean)) continue;
      if (r.decision === "error") return new Decision("noOpinion", r.reason, r.reason);
      return new Decision(r.decision, r.reason, undefined);
    }
    return new Decision("noOpinion", "", undefined);
  };
}

export class Authorizer {
  readonly user: User;
  readonly answer: Answer;
  /** `authorizer.requestResource`: a check of the request's own resource, when there is a request. */
  readonly requestResource: ResourceCheck | undefined;
  constructor(user: User, answer: Answer, request?: RequestResource) {
    this.user = user;
    this.answer = answer;
    this.requestResource = request && new ResourceCheck(new GroupCheck(this, request.group), request.resource, { subresource: request.subresource, namespace: request.namespace, name: request.name });
  }
}

/** The resource a request acts on, as authorizer.requestResource checks it. */
export interface RequestResource {
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
}

class PathCheck {
  readonly authorizer: Authorizer;
  readonly path: string;
  constructor(authorizer: Authorizer, path: string) {
    this.authorizer = authorizer;
    this.path = path;
  }
}

class GroupCheck {
  readonly authorizer: Authorizer;
  readonly group: string;
  constructor(authorizer: Authorizer, group: string) {
    this.authorizer = authorizer;
    this.group = group;
  }
}

/** What a resource check narrows to; the selectors are kept for a real authorizer, the fixture ignores them. */
type ResourceParts = Partial<Record<"subresource" | "namespace" | "name" | "fieldSelector" | "labelSelector", string>>;

class ResourceCheck {
  readonly groupCheck: GroupCheck;
  readonly resource: string;
  readonly parts: ResourceParts;
  constructor(groupCheck: GroupCheck, resource: string, parts: ResourceParts = {}) {
    this.groupCheck = groupCheck;
    this.resource = resource;
    this.parts = parts;
  }

  with(part: keyof ResourceParts, value: string): ResourceCheck {
    return new ResourceCheck(this.groupCheck, this.resource, { ...this.parts, [part]: value });
  }
}

/**
 * The `authorizer` variable: asks as the fixture's user, else the request's;
 * answers from the fixture, or refuses every check when there is none.
 */
export function authorizerFor(fixture: AuthzFixture | undefined, requester: Partial<User> = {}, request?: RequestResource): Authorizer {
  const parsed = fixture === undefined ? undefined : authzFixture.parse(fixture);
  return new Authorizer({ name: parsed?.user ?? requester.name ?? "", groups: parsed?.groups ?? requester.groups ?? [] }, answerFrom(parsed), request);
}

const A = "kubernetes.authorization.Authorizer";
const P = "kubernetes.authorization.PathCheck";
const G = "kubernetes.authorization.GroupCheck";
const R = "kubernetes.authorization.ResourceCheck";
const D = "kubernetes.authorization.Decision";

export const AUTHORIZER_TYPE = A;

export function registerAuthz(env: Environment): void {
  env.registerType(A, Authorizer);
  env.registerType(P, PathCheck);
  env.registerType(G, GroupCheck);
  env.registerType(R, ResourceCheck);
  env.registerType(D, Decision);
  env.registerFunction(`${A}.path(string): ${P}`, (a: Authorizer, path: string) => new PathCheck(a, path));
  env.registerFunction(`${A}.group(string): ${G}`, (a: Authorizer, group: string) => new GroupCheck(a, group));
  env.registerFunction(`${A}.serviceAccount(string, string): ${A}`, (a: Authorizer, namespace: string, name: string) =>
    new Authorizer({ name: `system:serviceaccount:${namespace}:${name}`, groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`] }, a.answer),
  );
  env.registerFunction(`${G}.resource(string): ${R}`, (g: GroupCheck, resource: string) => new ResourceCheck(g, resource));
  for (const part of ["subresource", "namespace", "name", "fieldSelector", "labelSelector"] as const) {
    env.registerFunction(`${R}.${part}(string): ${R}`, (r: ResourceCheck, value: string) => r.with(part, value));
  }
  env.registerFunction(`${P}.check(string): ${D}`, (p: PathCheck, verb: string) => p.authorizer.answer({ user: p.authorizer.user, verb, path: p.path }));
  env.registerFunction(`${R}.check(string): ${D}`, (r: ResourceCheck, verb: string) =>
    r.groupCheck.authorizer.answer({ user: r.groupCheck.authorizer.user, verb, group: r.groupCheck.group, resource: r.resource, ...r.parts }),
  );
  env.registerFunction(`${D}.allowed(): bool`, (d: Decision) => d.decision === "allow");
  env.registerFunction(`${D}.reason(): string`, (d: Decision) => d.reason);
  env.registerFunction(`${D}.errored(): bool`, (d: Decision) => d.error !== undefined);
  env.registerFunction(`${D}.error(): string`, (d: Decision) => d.error ?? "");
}
