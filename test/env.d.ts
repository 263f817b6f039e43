declare namespace Cloudflare {
  interface Env {
    [binding: string]: unknown;
  }
}

/** Vite's `?raw` import: a file's text (test/routes/graphql.test.ts reads schema.graphql so). */
declare module "*?raw" {
  const text: string;
  // biome-ignore lint/style/noDefaultExport: the shape Vite gives a `?raw` import
  export default text;
}
