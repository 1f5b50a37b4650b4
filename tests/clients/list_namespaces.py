"""Lists namespaces through one Python Kubernetes client, for the client matrix in
tests/it/clients.rs. Usage: list_namespaces.py CLIENT KUBECONFIG CONTEXT. Prints one namespace name
a line; exits non-zero (with the client's error on stderr) when the client fails."""
import asyncio
import sys

client_name, kubeconfig, context = sys.argv[1:4]


def kubernetes_sync():
    from kubernetes import client, config

    config.load_kube_config(config_file=kubeconfig, context=context)
    return [n.metadata.name for n in client.CoreV1Api().list_namespace().items]


def kubernetes_asyncio():
    from kubernetes_asyncio import client, config

    async def run():
        await config.load_kube_config(config_file=kubeconfig, context=context)
        async with client.ApiClient() as api:
            result = await client.CoreV1Api(api).list_namespace()
            return [n.metadata.name for n in result.items]

    return asyncio.run(run())


def lightkube():
    from lightkube import Client, KubeConfig
    from lightkube.resources.core_v1 import Namespace

    config = KubeConfig.from_file(kubeconfig)
    api = Client(config=config.get(context_name=context))
    return [n.metadata.name for n in api.list(Namespace)]


def kr8s():
    import kr8s as k

    api = k.api(kubeconfig=kubeconfig, context=context)
    return [n.name for n in k.get("namespaces", api=api)]


names = {
    "kubernetes": kubernetes_sync,
    "kubernetes_asyncio": kubernetes_asyncio,
    "lightkube": lightkube,
    "kr8s": kr8s,
}[client_name]()
print("\n".join(names))
