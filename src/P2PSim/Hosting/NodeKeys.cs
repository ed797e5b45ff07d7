using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Hosting;

/// <summary>
/// Where the nodes of this process get their keys (<c>Security:KeyFolder</c>): from their files in the key folder (made
/// there on the first run), or fresh ones; and each key's id's proof of work at <c>Security:IdDifficulty</c>, kept in the
/// key's file, or found at start for a fresh key. Either way a node keeps its key and work for the life of the process: a
/// node restarted in the same process (an experiment's restarted seed or peer) is the same node, with the same id. A key
/// file that cannot be read or understood stops start-up with one line naming it.
/// </summary>
public sealed class NodeKeys(IOptions<SecurityOptions> options) : IDisposable
{
    private readonly KeyFolder? _folder = options.Value.KeyFolder.Length == 0 ? null : new KeyFolder(options.Value.KeyFolder);
    private readonly int _difficulty = options.Value.IdDifficulty;
    private readonly Dictionary<(NodeRole, int), (NodeKey Key, IdWork Work)> _keys = new();
    private readonly Lock _gate = new();

    /// <summary>The key of the <paramref name="role"/> with <paramref name="index"/>. Throws <see cref="StartupException"/> for a bad key file.</summary>
    public NodeKey For(NodeRole role, int index) => Get(role, index).Key;

    /// <summary>The proof of work of <see cref="For"/>'s id at <c>Security:IdDifficulty</c>, which the node's Hello carries.</summary>
    public IdWork WorkFor(NodeRole role, int index) => Get(role, index).Work;

    /// <summary>
    /// Loads or makes the keys of <paramref name="nodes"/> and their work ahead of the nodes' start, on every core: the
    /// nodes start one by one, and each would otherwise search its nonce in turn. Stops (and throws) at the first bad file.
    /// </summary>
    public async Task PrepareAsync(IEnumerable<(NodeRole Role, int Index)> nodes, TimeProvider time, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        await Parallel.ForEachAsync(nodes, ct, (node, _) =>
        {
            Get(node.Role, node.Index);
            return ValueTask.CompletedTask;
        }).ConfigureAwait(false);
        PreparedIn = time.GetElapsedTime(started);
    }

    /// <summary>How long <see cref="PrepareAsync"/> took (zero before it ran).</summary>
    public TimeSpan PreparedIn { get; private set; }

    private (NodeKey Key, IdWork Work) Get(NodeRole role, int index)
    {
        lock (_gate)
        {
            if (_keys.TryGetValue((role, index), out var kept))
            {
                return kept;
            }
        }
        var made = Load(role, index); // outside the lock: the work may take a while, and other nodes' keys are made meanwhile
        lock (_gate)
        {
            if (_keys.TryGetValue((role, index), out var kept))
            {
                made.Key.Dispose(); // made twice at once: both are the same file's key, or equally fresh; keep the first
                return kept;
            }
            _keys[(role, index)] = made;
            return made;
        }
    }

    private (NodeKey Key, IdWork Work) Load(NodeRole role, int index)
    {
        if (_folder is null)
        {
            var key = NodeKey.Generate();
            return (key, IdWork.Find(key.Id, _difficulty));
        }
        try
        {
            var key = _folder.LoadOrCreate(role == NodeRole.Seed ? "seed" : "peer", index, _difficulty, out var work);
            return (key, work);
        }
        catch (KeyFileException ex)
        {
            throw new StartupException($"{ex.Message} ({SecurityOptions.Section}:KeyFolder)", ex);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (key, _) in _keys.Values)
            {
                key.Dispose();
            }
            _keys.Clear();
        }
    }
}
