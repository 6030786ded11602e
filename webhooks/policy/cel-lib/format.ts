// Kubernetes' format library for CEL (k8s.io/apiserver/pkg/cel/library
// format.go): format.dns1123Label().validate(s) is optional.none() when s is
// valid, else optional.of(the messages kube-apiserver's validation gives).
import { Optional, type Environment } from "@marcbachmann/cel-js";
import { requestURIError } from "./url.ts";
import { registerNamespace } from "./value.ts";

const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?";
const LABEL_KEY = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const whole = (fmt: string) => new RegExp(`^(?:${fmt})$`);

/** apimachinery's RegexError. */
function regexError(message: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${fmt}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}

const maxLength = (n: number) => `must be no more than ${n} characters`;
/** Go measures length in bytes. */
const byteLength = (s: string) => Buffer.byteLength(s);

function dns1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLength(63));
  if (!whole(DNS1123_LABEL).test(value)) {
    errs.push(
      whole(DNS1123_SUBDOMAIN).test(value)
        ? "must not contain dots"
        : regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL, "my-name", "123-abc"),
    );
  }
  return errs;
}

function dns1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLength(253));
  if (!whole(DNS1123_SUBDOMAIN).test(value)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, "example.com"));
  }
  return errs;
}

function dns1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLength(63));
  if (!whole(DNS1035_LABEL).test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL, "my-name", "abc-123"));
  }
  return errs;
}

const LABEL_KEY_MESSAGE = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function qualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  if (parts.length > 2) {
    return [`a valid label key ${regexError(LABEL_KEY_MESSAGE, LABEL_KEY, "MyName", "my.name", "123-abc")} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  const name = parts.at(-1)!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix === "") errs.push("prefix part must be non-empty");
    else errs.push(...dns1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  }
  if (name === "") errs.push("name part must be non-empty");
  else if (byteLength(name) > 63) errs.push(`name part ${maxLength(63)}`);
  if (!whole(LABEL_KEY).test(name)) errs.push(`name part ${regexError(LABEL_KEY_MESSAGE, LABEL_KEY, "MyName", "my.name", "123-abc")}`);
  return errs;
}

function labelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLength(63));
  if (!whole(`(${LABEL_KEY})?`).test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", `(${LABEL_KEY})?`, "MyValue", "my_value", "12345"));
  }
  return errs;
}

/** maskTrailingDash, as apimachinery writes it: on bytes, dropping the byte before the dash too. */
function maskTrailingDash(name: string): string {
  const bytes = Buffer.from(name);
  if (bytes.length <= 1 || !name.endsWith("-")) return name;
  return `${bytes.subarray(0, bytes.length - 2).toString("utf8")}a`;
}

/** time.Parse("2006-01-02", s). */
function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** strfmt's IsDateTime. */
function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split("t");
  if (parts.length < 2 || !isDate(parts[0]!)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/u.exec(parts[1]!);
  return m !== null && m[1]! <= "23" && m[2]! <= "59" && m[3]! <= "59";
}

const check = (ok: boolean, message: string) => (ok ? [] : [message]);

const FORMATS: Readonly<Record<string, (s: string) => string[]>> = {
  dns1123Label,
  dns1123Subdomain,
  dns1035Label,
  qualifiedName,
  dns1123LabelPrefix: (s) => dns1123Label(maskTrailingDash(s)),
  dns1123SubdomainPrefix: (s) => dns1123Subdomain(maskTrailingDash(s)),
  dns1035LabelPrefix: (s) => dns1035Label(maskTrailingDash(s)),
  labelValue,
  uri: (s) => {
    const error = requestURIError(s);
    return error === undefined ? [] : [error];
  },
  uuid: (s) => check(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s), "does not match the UUID format"),
  byte: (s) => check(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/.test(s), "invalid base64"),
  date: (s) => check(isDate(s), "invalid date"),
  datetime: (s) => check(isDateTime(s), "invalid datetime"),
};

export class Format {
  readonly name: string;
  readonly validate: (s: string) => string[];
  constructor(name: string, validate: (s: string) => string[]) {
    this.name = name;
    this.validate = validate;
  }
}

export function registerFormat(env: Environment): void {
  const F = "kubernetes.NamedFormat";
  env.registerType(F, Format);
  const namespace = registerNamespace(env, "format");
  for (const [name, validate] of Object.entries(FORMATS)) {
    const format = new Format(name, validate);
    env.registerFunction(`${namespace}.${name}(): ${F}`, () => format);
  }
  env.registerFunction(`${namespace}.named(string): optional<${F}>`, (_: unknown, name: string) => {
    const validate = Object.hasOwn(FORMATS, name) ? FORMATS[name] : undefined;
    return validate ? Optional.of(new Format(name, validate)) : Optional.none();
  });
  env.registerFunction(`${F}.validate(string): optional<list<string>>`, (f: Format, s: string) => {
    const messages = f.validate(s);
    return messages.length === 0 ? Optional.none() : Optional.of(messages);
  });
}
