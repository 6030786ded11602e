// The control plane's PKI, made with openssl exactly as controlplane/up.sh
// does (its flags are the ones proven to work): a cluster CA, the apiserver's
// serving certificate, an admin client certificate in system:masters, the
// client certificate the apiserver shows webhooks that ask for one, a
// separate front-proxy CA + client, and the service-account key pair.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly webhookClientCert: string;
  readonly webhookClientKey: string;
  readonly frontProxyCa: string;
  readonly frontProxyClientCert: string;
  readonly frontProxyClientKey: string;
  readonly saKey: string;
  readonly saPub: string;
}

const CA_EXT = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign"];

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  try {
    await run("openssl", args, { cwd: dir });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args.slice(0, 2).join(" ")} failed: ${e.stderr ?? e.message}`, { cause: error });
  }
}

async function ca(dir: string, name: string, subject: string): Promise<void> {
  await openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", subject, ...CA_EXT]);
}

// Random serials (not -CAcreateserial): leaves are signed in parallel and would race on ca.srl.
async function leaf(dir: string, caName: string, name: string, subject: string, extensions: string): Promise<void> {
  await openssl(dir, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  await writeFile(join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n${extensions}\n`);
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${caName}.crt`, "-CAkey", `${caName}.key`, "-set_serial", `0x${randomBytes(12).toString("hex")}`, "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`]);
}

export async function createPki(dir: string): Promise<Pki> {
  await Promise.all([ca(dir, "ca", "/CN=podgate-e2e-ca"), ca(dir, "front-proxy-ca", "/CN=podgate-e2e-front-proxy-ca")]);
  await Promise.all([
    leaf(dir, "ca", "apiserver", "/CN=kube-apiserver", "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"),
    leaf(dir, "ca", "admin", "/O=system:masters/CN=podgate-admin", "extendedKeyUsage=clientAuth"),
    leaf(dir, "ca", "webhook-client", "/CN=kube-apiserver-webhook-client", "extendedKeyUsage=clientAuth"),
    leaf(dir, "front-proxy-ca", "front-proxy-client", "/CN=front-proxy-client", "extendedKeyUsage=clientAuth"),
    openssl(dir, ["genrsa", "-out", "sa.key", "2048"]),
  ]);
  await openssl(dir, ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    apiserverCert: p("apiserver.crt"),
    apiserverKey: p("apiserver.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    webhookClientCert: p("webhook-client.crt"),
    webhookClientKey: p("webhook-client.key"),
    frontProxyCa: p("front-proxy-ca.crt"),
    frontProxyClientCert: p("front-proxy-client.crt"),
    frontProxyClientKey: p("front-proxy-client.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
  };
}

/**
 * A kubelet's client certificate (CN=system:node:<name>, O=system:nodes), so
 * the real node is authorized by the Node authorizer like any kubelet, not
 * as an admin.
 */
export async function createNodeCredentials(pki: Pki, nodeName: string): Promise<{ cert: string; key: string }> {
  const name = `node-${nodeName}`;
  await leaf(pki.dir, "ca", name, `/O=system:nodes/CN=system:node:${nodeName}`, "extendedKeyUsage=clientAuth");
  return { cert: join(pki.dir, `${name}.crt`), key: join(pki.dir, `${name}.key`) };
}
