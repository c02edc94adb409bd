// The baseline of the edge-worker benchmark: the request goes to the origin with no
// verification at all, so the tables show what workerd, the service binding and the load
// generator cost by themselves.
export default {
  async fetch(request, env) {
    const forwarded = new Request(request);
    forwarded.headers.delete('authorization');
    return env.UPSTREAM.fetch(forwarded);
  },
};
