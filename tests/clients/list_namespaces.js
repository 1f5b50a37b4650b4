// Lists namespaces through @kubernetes/client-node, for the client matrix in tests/it/clients.rs.
// Usage: NODE_PATH=.clients/node/node_modules node list_namespaces.js KUBECONFIG CONTEXT
const k8s = require('@kubernetes/client-node');

async function main() {
  const [kubeconfig, context] = process.argv.slice(2);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  kc.setCurrentContext(context);
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const res = await api.listNamespace();
  // 1.x returns the list itself; 0.x returned {body}.
  const list = res.items ? res : res.body;
  console.log(list.items.map((n) => n.metadata.name).join('\n'));
}

main().catch((e) => {
  console.error(String(e && (e.body || e.message || e)));
  process.exit(1);
});
