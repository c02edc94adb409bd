// The origin behind every worker of the edge-worker benchmark (bound to each as UPSTREAM): the
// smallest answer there is, so the numbers are the workers' own cost.
export default {
  fetch() {
    return new Response('ok\n');
  },
};
