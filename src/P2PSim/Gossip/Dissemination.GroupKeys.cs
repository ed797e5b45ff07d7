using P2PSim.Groups;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Gossip;

/// <summary>
/// Encrypted group messages (PROTOCOL.md, <i>Encrypted group messages</i>): on the overlay of a group that encrypts, the
/// group's <see cref="GroupKeyring"/> seals what this member publishes and reads what it receives. A message new here
/// (its signature verified) is read before it is recorded: one that names a key this member holds and does not open with
/// it was sealed wrong by its origin (nobody else can make its signature) and is dropped unrecorded and counted as forged,
/// its link kept (a forwarder without the key could not tell); one whose key has not come yet is recorded and forwarded
/// as any other, and reported received once the key comes.
/// </summary>
internal sealed partial class Dissemination
{
    /// <summary>The group's keys, when the group encrypts its messages; null: payloads are the texts themselves.</summary>
    public GroupKeyring? Keyring { get; init; }

    private string PayloadOf(ulong sequence, string text, DateTimeOffset now) =>
        Keyring is { } keyring ? keyring.Seal(sequence, now.ToUnixTimeMilliseconds(), text, now) : text;

    /// <summary>Whether a message new here may be taken: its text (null while its key has not come, <paramref name="heldFor"/> naming it).</summary>
    private bool Readable(NodeEndpoint from, GossipMessage gossip, DateTimeOffset now, out string? text, out GroupKeyId? heldFor)
    {
        heldFor = null;
        switch (Keyring!.Read(gossip, out text, out var keyId))
        {
            case GroupKeyring.Reading.Opened:
                return true;
            case GroupKeyring.Reading.NoKey:
                heldFor = keyId;
                return true;
            default:
                Forged++;
                _out.Report(new GossipForged(now, gossip.Id, gossip.Origin, from,
                    "it does not open with the group key it names: its origin sealed it wrong", Violation: false));
                return false;
        }
    }
}
