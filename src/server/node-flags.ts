// The Node flags podgate's server runs with: package.json's start script and
// the Dockerfile's ENTRYPOINT carry them (a unit test keeps them in step), and
// the bench starts podgate with them. They cannot be set from inside the
// process: V8 sizes its heap before any of our code runs.
//
// --max-semi-space-size=8: V8 lets the young generation grow to tens of MB on a
// machine with lots of memory; a review's garbage dies young, so 8 MB
// semi-spaces scavenge as cheaply and cut peak RSS under load by ~100 MB
// (measured in docs/benchmarks.md).
export const SERVE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];
