// Runs a differential test's Go oracle: JSON lines in on stdin, one JSON
// result per line out.
import { spawn } from "node:child_process";

export function runOracle<T>(path: string, args: readonly string[], input = ""): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ["pipe", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${path} ${args.join(" ")} exited ${code}`));
      const text = Buffer.concat(chunks).toString("utf8").trim();
      resolve(text === "" ? [] : text.split("\n").map((line) => JSON.parse(line) as T));
    });
    child.stdin.end(input);
  });
}
