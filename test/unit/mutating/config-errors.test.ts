// Bad sidecar/defaults config fails at load, and the message names the key path.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { defaultConfigText } from "../../../src/config/default.ts";

const base = `
admission:
  mutating:
    - name: sidecar
      type: sidecar
      settings:
        defaultTemplate: proxy
        templates:
          proxy:
            values:
              image: { type: image, default: "ghcr.io/podgate/proxy:1" }
            containers:
              - name: proxy
                image: "{{ values.image }}"
`;

function problems(text: string): string[] {
  try {
    parseConfig(text, registry, "test.yaml");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail("config was accepted");
}

const at = "admission.mutating[0].settings";

describe("sidecar and defaults config errors", () => {
  it("accepts the base config and the embedded default config", async () => {
    assert.equal(parseConfig(base, registry).mutating.length, 1);
    assert.deepEqual(parseConfig(await defaultConfigText(), registry).mutating.map((h) => h.name), ["sidecar", "defaults"]);
  });

  const cases: Array<[string, string, RegExp]> = [
    ["an unknown default template", base.replace("defaultTemplate: proxy", "defaultTemplate: envoy"), /settings\.defaultTemplate: unknown template "envoy"; expected one of: proxy/],
    ["a misspelt container field", base.replace('image: "{{ values.image }}"', 'image: "{{ values.image }}"\n                imagePullPolicyy: Always'), /settings\.templates\.proxy\.containers\[0\]\.imagePullPolicyy: unknown key/],
    ["a wrong type in a container", base.replace('image: "{{ values.image }}"', 'image: "{{ values.image }}"\n                ports: [{ containerPort: "http" }]'), /templates\.proxy\.containers\[0\]\.ports\[0\]\.containerPort: .*expected number/],
    ["a reference to an undeclared value", base.replace('image: "{{ values.image }}"', 'image: "{{ values.tag }}"'), /templates\.proxy\.containers\[0\]\.image: "tag" is not declared in values/],
    ["a malformed placeholder", base.replace('image: "{{ values.image }}"', 'image: "{{ pod.uid }}"'), /templates\.proxy\.containers\[0\]\.image: unknown reference "\{\{ pod\.uid \}\}"/],
    ["an unbalanced placeholder", base.replace('image: "{{ values.image }}"', 'image: "{{ values.image }"'), /templates\.proxy\.containers\[0\]\.image: unbalanced/],
    ["an invalid value default", base.replace('default: "ghcr.io/podgate/proxy:1"', 'default: "Not An Image!"'), /templates\.proxy\.values\.image\.default: expected an image reference/],
    ["a conventional value with the wrong type", base.replace("image: { type: image,", "image: { type: string,"), /templates\.proxy\.values\.image\.type: "image" must have type image/],
    ["a reserved value name", base.replace("            values:\n", "            values:\n              inject: { type: boolean, default: true }\n"), /templates\.proxy\.values\.inject: "inject" is reserved/],
    ["a quantity bound that is not a quantity", base.replace("            values:\n", "            values:\n              cpu: { type: quantity, default: 100m, max: lots }\n"), /templates\.proxy\.values\.cpu\.max: expected a quantity/],
    ["a value pattern that does not compile", base.replace("            values:\n", "            values:\n              mode: { type: string, default: a, pattern: \"(\" }\n"), /templates\.proxy\.values\.mode\.pattern: expected a valid regular expression/],
    ["a container without an image", base.replace('                image: "{{ values.image }}"\n', ""), /templates\.proxy\.containers\[0\]\.image: an image is required/],
    ["a container name that is not a DNS label", base.replace("- name: proxy", "- name: Proxy_1"), /templates\.proxy\.containers\[0\]\.name: "Proxy_1" must be a DNS label/],
    ["an empty template", base.replace(/ {12}values:[\s\S]*$/, "            native: true\n"), /templates\.proxy: a template must add something/],
    ["an unknown template key", base.replace("          proxy:\n", "          proxy:\n            sidecars: []\n"), /templates\.proxy\.sidecars: unknown key/],
    [
      "a malformed default quantity",
      base + "    - name: defaults\n      type: defaults\n      settings:\n        resources: { requests: { cpu: one } }\n",
      /admission\.mutating\[1\]\.settings\.resources\.requests\.cpu: "one" is not a quantity/,
    ],
    ["an unknown defaults feature", base + "    - name: defaults\n      type: defaults\n      settings:\n        seccomp: { enabled: true }\n", /admission\.mutating\[1\]\.settings\.seccomp: unknown key/],
  ];
  for (const [what, text, expected] of cases) {
    it(`rejects ${what}, naming the key path`, () => {
      const found = problems(text);
      assert.ok(found.some((p) => expected.test(p)), `expected ${expected} in:\n${found.join("\n")}`);
      assert.ok(found.every((p) => p.startsWith(`${at}`) || p.startsWith("admission.mutating[1]")), found.join("\n"));
    });
  }
});
