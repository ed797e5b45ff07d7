using P2PSim.Protocol;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// Fairness among origins: the budget also counts the bytes each gossip frame's origin holds, over every queue of the
/// process, so that when a neighbour floods valid messages of its own (within its allowance, <c>Gossip:OriginBurst</c>)
/// and its copies fill the queues of every peer they reach, the budget sheds that origin's frames and not everyone
/// else's. See TRANSPORT.md, "The process queue budget".
/// <para>
/// The rule: a gossip frame (not an announcement) that the shares and ceilings would refuse is admitted all the same,
/// within the budget itself, when its origin holds no more than <see cref="LightOriginBytes"/> (1/16 of the budget)
/// while another origin holds more. Without a heavy origin nothing changes, so an overload of many honest origins is
/// shed by class as before; with one, the heavy origin is held to the ceilings and shares (its copies beyond them are
/// dropped), and every light origin finds the room between the ceilings and the budget (at least 1/8 of it).
/// </para>
/// <para>
/// The bytes per origin are kept in a count-min sketch: two rows of <see cref="OriginSlots"/> counters, each origin
/// hashed to one counter per row, its bytes the smaller of its two. Fixed memory (16 KiB) whatever the number of
/// origins, no lock, nothing to forget: a counter returns to zero when its frames leave. Another origin sharing both of
/// a light origin's counters with the heavy one is about one chance in a million per origin.
/// </para>
/// </summary>
public sealed partial class QueueBudget
{
    /// <summary>Counters per row of the sketch of bytes held per origin (a power of two).</summary>
    public const int OriginSlots = 1024;

    private readonly long[] _originBytes = new long[2 * OriginSlots];
    private int _heavyOrigin; // the last origin seen holding more than LightOriginBytes; 0: none yet
    private long _admittedBesideHeavy;

    /// <summary>
    /// Most bytes an origin may hold and still count as light beside a heavy one (one holding more): 1/16 of the
    /// budget, at least <see cref="GuaranteedBytes"/>. 512 KiB at the default of 8 MiB: an honest message of a
    /// 50-peer network has about 100 KB of copies queued at its peak.
    /// </summary>
    public long LightOriginBytes { get; }

    /// <summary>Gossip frames of light origins admitted past the shares and ceilings while a heavy origin held the room.</summary>
    public long AdmittedBesideHeavy => Volatile.Read(ref _admittedBesideHeavy);

    /// <summary>
    /// The key a frame's bytes are counted under: its origin's for gossip (never 0), 0 for everything else (announcements
    /// included). The origin is its endpoint and its id together, as for the origin's allowance (<c>Gossip/OriginRateLimit.cs</c>):
    /// a peer that names another's endpoint as its messages' origin, under its own id, counts under a key of its own.
    /// </summary>
    public static int OriginKey(Message message) => message is Protocol.Gossip gossip ? OriginKey(gossip.Origin, gossip.OriginId) : 0;

    /// <summary>A hash of <paramref name="origin"/>'s address and port and of <paramref name="id"/>, the same in every process (never 0).</summary>
    public static int OriginKey(NodeEndpoint origin, NodeId id) => Mix(Fnv(origin, id.A, id.B, id.C, id.D));

    /// <summary>A hash of <paramref name="origin"/>'s address and port alone, the same in every process (never 0).</summary>
    public static int OriginKey(NodeEndpoint origin) => Mix(Fnv(origin));

    /// <summary>FNV-1a over the address bytes, the port, then the id's words (a bare endpoint: none).</summary>
    private static uint Fnv(NodeEndpoint origin, params ReadOnlySpan<ulong> words)
    {
        Span<byte> address = stackalloc byte[16];
        var hash = 2166136261u;
        if (origin.Address.TryWriteBytes(address, out var written))
        {
            foreach (var b in address[..written])
            {
                hash = (hash ^ b) * 16777619u;
            }
        }
        hash = (hash ^ (uint)origin.Port) * 16777619u;
        foreach (var word in words)
        {
            hash = (hash ^ (uint)word) * 16777619u;
            hash = (hash ^ (uint)(word >> 32)) * 16777619u;
        }
        return hash;
    }

    /// <summary>The final mix: every input bit reaches every output bit.</summary>
    private static int Mix(uint hash)
    {
        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return hash == 0 ? 1 : (int)hash;
    }

    /// <summary>Bytes queued now for the origin of <paramref name="key"/> (at least; more only where another origin shares both its counters).</summary>
    public long OriginBytes(int key) => key == 0 ? 0 : Math.Min(Volatile.Read(ref _originBytes[First(key)]), Volatile.Read(ref _originBytes[Second(key)]));

    /// <summary>Gives back what a frame of <paramref name="origin"/> was charged, when its queue is emptied at once (<see cref="ReleaseAll"/> follows).</summary>
    public void ReleaseOrigin(int origin, int bytes) => ChargeOrigin(origin, -bytes);

    private static int First(int key) => key & (OriginSlots - 1);

    private static int Second(int key) => OriginSlots + ((int)((uint)key * 0x9E3779B1u >> 22) & (OriginSlots - 1));

    private void ChargeOrigin(int origin, int bytes)
    {
        if (origin == 0 || bytes == 0)
        {
            return;
        }
        var held = Math.Min(Interlocked.Add(ref _originBytes[First(origin)], bytes), Interlocked.Add(ref _originBytes[Second(origin)], bytes));
        if (bytes > 0 && held > LightOriginBytes)
        {
            Volatile.Write(ref _heavyOrigin, origin); // the origin that went past it last is the one the others are judged beside
        }
    }

    /// <summary>
    /// Whether a frame of <paramref name="origin"/> that the shares would refuse is let in: its origin is light, and
    /// another one is heavy (the last one charged past <see cref="LightOriginBytes"/>, if it still holds that much).
    /// </summary>
    private bool LightBesideHeavy(int origin, int bytes, bool announcement)
    {
        if (origin == 0 || announcement)
        {
            return false;
        }
        if (OriginBytes(origin) + bytes > LightOriginBytes)
        {
            return false;
        }
        var heavy = Volatile.Read(ref _heavyOrigin);
        return heavy != 0 && heavy != origin && OriginBytes(heavy) > LightOriginBytes;
    }
}
