using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Hosting;

/// <summary>
/// Where the nodes of this process get their keys (<c>Security:KeyFolder</c>): from their files in the key folder (made
/// there on the first run), or fresh ones. Either way a node keeps its key for the life of the process: a node restarted
/// in the same process (an experiment's restarted seed or peer) is the same node, with the same id. A key file that
/// cannot be read or understood stops start-up with one line naming it.
/// </summary>
public sealed class NodeKeys(IOptions<SecurityOptions> options) : IDisposable
{
    private readonly KeyFolder? _folder = options.Value.KeyFolder.Length == 0 ? null : new KeyFolder(options.Value.KeyFolder);
    private readonly Dictionary<(NodeRole, int), NodeKey> _keys = new();
    private readonly Lock _gate = new();

    /// <summary>The key of the <paramref name="role"/> with <paramref name="index"/>. Throws <see cref="StartupException"/> for a bad key file.</summary>
    public NodeKey For(NodeRole role, int index)
    {
        lock (_gate)
        {
            if (!_keys.TryGetValue((role, index), out var key))
            {
                key = Load(role, index);
                _keys[(role, index)] = key;
            }
            return key;
        }
    }

    private NodeKey Load(NodeRole role, int index)
    {
        if (_folder is null)
        {
            return NodeKey.Generate();
        }
        try
        {
            return _folder.LoadOrCreate(role == NodeRole.Seed ? "seed" : "peer", index);
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
            foreach (var key in _keys.Values)
            {
                key.Dispose();
            }
            _keys.Clear();
        }
    }
}
