using P2PSim.Security;

namespace P2PSim.Tests.TestSupport;

/// <summary>
/// Keys derived from a fixed seed and a purpose, one per number, made on first use and the same on every call; disposed
/// with the set (a fixture's one-time tear-down). Safe to use from parallel tests.
/// </summary>
internal sealed class DerivedKeys(int runSeed, string purpose) : IDisposable
{
    private readonly Dictionary<int, NodeKey> _keys = [];

    public NodeKey this[int n]
    {
        get
        {
            lock (_keys)
            {
                if (!_keys.TryGetValue(n, out var key))
                {
                    key = NodeKey.Derived(runSeed, purpose, n);
                    _keys[n] = key;
                }
                return key;
            }
        }
    }

    public void Dispose()
    {
        lock (_keys)
        {
            foreach (var key in _keys.Values)
            {
                key.Dispose();
            }
            _keys.Clear();
        }
    }
}
