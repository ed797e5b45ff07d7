using Microsoft.Extensions.Hosting;

namespace P2PSim.Hosting;

/// <summary>
/// Started just before the nodes: loads or makes every planned node's key and its id's work (<see cref="NodeKeys"/>) on
/// every core at once, since the host starts the nodes one after another and each would otherwise search its nonce in
/// turn (<c>Security:IdDifficulty</c>). A bad key file stops start-up here, with the same message a node would give.
/// </summary>
internal sealed class NodeKeyPreparation(NodeKeys keys, IReadOnlyList<NodeSpec> nodes, TimeProvider time) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        keys.PrepareAsync(nodes.Select(static n => (n.Role, n.Index)), time, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
