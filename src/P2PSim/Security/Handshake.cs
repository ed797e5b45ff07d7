using P2PSim.Protocol;

namespace P2PSim.Security;

/// <summary>
/// What a <see cref="HelloProof"/> signs (PROTOCOL.md, "Identity and signatures"): the domain string
/// <c>P2PSim/4 hello</c> (14 ASCII bytes), one byte naming the side that signs (1 = the dialer, 2 = the acceptor), the
/// other side's nonce (16 bytes), the signer's id (32) and the other side's id (32): 95 bytes. The side byte keeps a
/// proof from being reflected back to its maker; the nonce makes it good for this connection only.
/// </summary>
public static class Handshake
{
    /// <summary>The domain separator, so a handshake signature can never be taken for a message's.</summary>
    public static ReadOnlySpan<byte> Domain => "P2PSim/4 hello"u8;

    /// <summary>Bytes signed: domain, side, nonce, two ids.</summary>
    public const int ProofInputSize = 14 + 1 + HelloNonce.Size + NodeId.Size + NodeId.Size;

    /// <summary>The side of a connection a proof is made by.</summary>
    public enum Side : byte
    {
        Dialer = 1,
        Acceptor = 2,
    }

    /// <summary>The 95 bytes <paramref name="signer"/> signs on <paramref name="side"/>, for the other side's <paramref name="theirNonce"/> and id.</summary>
    public static byte[] ProofInput(Side side, HelloNonce theirNonce, NodeId signer, NodeId other)
    {
        var input = new byte[ProofInputSize];
        Domain.CopyTo(input);
        var at = Domain.Length;
        input[at++] = (byte)side;
        at += theirNonce.WriteTo(input.AsSpan(at));
        at += signer.WriteTo(input.AsSpan(at));
        other.WriteTo(input.AsSpan(at));
        return input;
    }

    /// <summary>This node's proof, on <paramref name="side"/>, answering the other side's Hello.</summary>
    public static HelloProof Prove(NodeKey key, Side side, Hello theirs) =>
        new(key.Sign(ProofInput(side, theirs.Nonce, key.Id, theirs.Id)));

    /// <summary>Whether <paramref name="proof"/> shows that the sender of <paramref name="theirs"/> (on <paramref name="theirSide"/>) holds the key of its id, answering <paramref name="ours"/>.</summary>
    public static bool Verifies(HelloProof proof, Side theirSide, Hello theirs, Hello ours) =>
        theirs.Id.Verifies(ProofInput(theirSide, ours.Nonce, theirs.Id, ours.Id), proof.Signature);
}
