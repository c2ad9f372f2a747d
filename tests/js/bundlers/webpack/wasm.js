// webpack 5 emits the package's wasm files itself: nothing to pass.
export const wasm = undefined;
