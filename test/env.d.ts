declare namespace Cloudflare {
  interface Env {
    [binding: string]: unknown;
  }
}
