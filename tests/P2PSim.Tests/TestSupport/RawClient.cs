using System.Net.Sockets;
using P2PSim.Hosting;

namespace P2PSim.Tests.TestSupport;

/// <summary>A raw TCP client against a node, for bad-input tests: connect, and see the node close the connection.</summary>
internal static class RawClient
{
    public static async Task<TcpClient> ConnectAsync(NodeService node, CancellationToken ct)
    {
        var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(node.Endpoint.ToIPEndPoint(), ct);
        return client;
    }

    /// <summary>The node closes the connection: a read ends (EOF or reset) well within the deadline.</summary>
    public static async Task ExpectClosedByNodeAsync(TcpClient client, CancellationToken ct) => await ReadUntilClosedAsync(client, ct);

    /// <summary>Everything the node sends until it closes the connection (EOF or reset), which it must do within 5 s.</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(TcpClient client, CancellationToken ct)
    {
        var stream = client.GetStream();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(5));
        var received = new MemoryStream();
        var buffer = new byte[1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                received.Write(buffer, 0, read); // a Hello answer may come first; keep reading until the node closes
            }
        }
        catch (IOException)
        {
            // Reset by the node: closed too.
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Assert.Fail("the node did not close the connection within 5 s");
        }
        return received.ToArray();
    }
}
