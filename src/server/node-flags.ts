// The Node flags podgate's server runs with: package.json's start script and
// the Dockerfile's ENTRYPOINT carry them (a unit test keeps them in step), and
// the bench and the reliability suite start podgate with them. They cannot be
// set from inside the process: V8 sizes its heap before any of our code runs.
//
// --max-semi-space-size=8: V8 lets the young generation grow to tens of MB on a
// machine with lots of memory; a review's garbage dies young, so 8 MB
// semi-spaces scavenge as cheaply and cut peak RSS under load by ~100 MB
// (measured in docs/benchmarks.md).
//
// --heap-growing-percent=50: with a small live set (~30 MB) V8 lets the old
// generation grow up to 4x before a full collection, to ~100 MB, and each new
// peak raises RSS for good (the pages are not handed back under load). 1.5x
// keeps the old generation under ~45 MB: RSS flat through a soak instead of
// +22 %, for a full collection every few seconds (measured in docs/reliability.md).
export const SERVE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8", "--heap-growing-percent=50"];
