using P2PSim.Logging;
using P2PSim.Security;

namespace P2PSim.Transport;

/// <summary>
/// Ids cost work (PROTOCOL.md, <i>Ids cost work</i>): this node's own proof, which its Hello carries, and the count of
/// Hellos refused for an id without enough work or for another network's difficulty.
/// </summary>
public sealed partial class TcpTransport
{
    private long _refusedIdWork;
    private readonly LogRateLimit _idWorkLines = LogRateLimit.ForViolations();
    private readonly Lock _idWorkLinesGate = new();

    /// <summary>This node's id's proof of work: the difficulty it asks of every remote (<c>Security:IdDifficulty</c>) and its own nonce.</summary>
    public IdWork Work { get; }

    /// <summary>Hellos refused because the id lacked the work asked, or the remote's network asks another difficulty.</summary>
    public long RefusedIdWork => Interlocked.Read(ref _refusedIdWork);

    /// <summary>
    /// Counts a Hello refused for its id's work; true when its line may be written now (ten at once, then one a second),
    /// with how many were left out since the last one.
    /// </summary>
    internal bool CountRefusedIdWork(out int suppressed)
    {
        Interlocked.Increment(ref _refusedIdWork);
        CountRejectedInput();
        lock (_idWorkLinesGate)
        {
            return _idWorkLines.TryTake(_time.GetUtcNow(), out suppressed);
        }
    }

    /// <summary>
    /// Why <paramref name="hello"/>'s id is refused for its work, or null when it passes: the remote's network must ask the
    /// difficulty this one asks, and its nonce must give its id that many zero bits. One SHA-256, before any other work.
    /// </summary>
    internal static string? IdWorkRefusal(Protocol.Hello hello, IdWork ours)
    {
        if (hello.Work.Difficulty != ours.Difficulty)
        {
            return $"the Hello of {hello.Listen} (id {hello.Id.Short}…) asks ids of {hello.Work.Difficulty} bits of work, this node {ours.Difficulty} "
                + "(Security:IdDifficulty): every node of one network must use the same setting";
        }
        if (ours.Difficulty == 0)
        {
            return null;
        }
        var bits = IdWork.ZeroBits(hello.Id, hello.Work.Nonce);
        return bits >= ours.Difficulty
            ? null
            : $"the id {hello.Id.Short}… of {hello.Listen} lacks the work: its nonce gives {bits} zero bits, {ours.Difficulty} needed (Security:IdDifficulty)";
    }
}
