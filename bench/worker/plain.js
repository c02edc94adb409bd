// The baseline of the edge-worker benchmark: the same answer with no verification at all, so
// the tables show what workerd and the load generator cost by themselves.
export default {
  async fetch(request) {
    return new Response(request.headers.has('authorization') ? 'hello' : 'no token', { status: 200 });
  },
};
