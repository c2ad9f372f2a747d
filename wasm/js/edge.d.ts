// The edge entry point has the same API; its CPU build must be passed in as a compiled module.
export * from "./index.js";
