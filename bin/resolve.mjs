// import.meta.resolve for the CLI's bundle, which is CommonJS and cannot have it (bin/load-cli.js).
export const resolve = (specifier) => import.meta.resolve(specifier);
