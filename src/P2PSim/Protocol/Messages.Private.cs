using P2PSim.Gossip;

namespace P2PSim.Protocol;

/// <summary>
/// Recipient to sender: the private message <paramref name="Id"/> was delivered (or had been: a retry is acknowledged
/// again, never delivered twice). Sent back on the link the message came in on; a seed that relayed the message relays
/// the acknowledgement the same way back. <paramref name="Signature"/> (version 5): the recipient's Ed25519 signature
/// over the id and its own id (<c>Security/MessageSignature.cs</c>), so no relay and no other peer can make one.
/// </summary>
public sealed record DirectAck(MessageId Id, byte[] Signature) : Message
{
    /// <summary>An acknowledgement nobody signed (<see cref="Gossip.Unsigned"/>): what a simulated run that skips the cryptography sends.</summary>
    public DirectAck(MessageId id)
        : this(id, Gossip.Unsigned)
    {
    }

    public override MessageType Type => MessageType.DirectAck;

    public bool Equals(DirectAck? other) => other is not null && Id == other.Id && Signature.AsSpan().SequenceEqual(other.Signature);

    public override int GetHashCode() => Id.GetHashCode();
}

/// <summary>
/// Peer to seed, on a connection the peer keeps open: the peer cannot be dialled from outside (as behind a NAT), so the
/// seed relays private messages for it over this connection (a reservation, as libp2p's circuit relay makes one).
/// </summary>
public sealed record Reserve : Message
{
    public static readonly Reserve Instance = new();
    public override MessageType Type => MessageType.Reserve;
}

/// <summary>Why a seed did not relay a private message.</summary>
public enum RelayRefusal : byte
{
    /// <summary>The recipient holds no reservation with this seed (another seed may hold one).</summary>
    NoReservation = 1,

    /// <summary>The seed does not list the recipient as a peer at all.</summary>
    UnknownRecipient = 2,
}

/// <summary>Seed to sender: the private message <paramref name="Id"/> was not relayed, and why; the sender tries another seed.</summary>
public sealed record RelayRefused(MessageId Id, RelayRefusal Reason) : Message
{
    public override MessageType Type => MessageType.RelayRefused;
}
