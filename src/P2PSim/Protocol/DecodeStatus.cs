namespace P2PSim.Protocol;

/// <summary>What <see cref="FrameCodec.TryRead"/> found at the start of a buffer.</summary>
public enum DecodeStatus
{
    /// <summary>A whole, valid frame was decoded and can be consumed.</summary>
    Complete,

    /// <summary>The buffer holds the start of a frame; read more bytes and call again.</summary>
    Incomplete,

    /// <summary>The bytes can never become a valid frame; the connection must be closed.</summary>
    Invalid,
}
