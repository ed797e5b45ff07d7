using P2PSim.Protocol;

namespace P2PSim.Configuration;

/// <summary>Section <c>Transport</c>: limits of every TCP connection.</summary>
public sealed class TransportOptions
{
    public const string Section = "Transport";

    /// <summary>Largest frame body (type byte + payload) accepted; a longer claimed length closes the connection.</summary>
    public int MaxFrameBytes { get; set; } = ProtocolLimits.DefaultMaxFrameLength;

    /// <summary>Time a new connection has to complete its Hello, and a dial has to connect.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection that receives nothing for this long is closed. Must exceed Peer:LivenessInterval.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Once a frame has started, all of it must arrive within this time (stops trickling clients).</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Frames queued for one connection before further frames are dropped (counted and logged).</summary>
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>Most simultaneous connections one node accepts; further ones are refused.</summary>
    public int MaxInboundConnections { get; set; } = 1024;

    /// <summary>Time a closing node gives its goodbyes to be delivered.</summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(2);
}
