using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Groups on a small real network on loopback: peers 0, 2 and 4 are in blue, 1, 3 and 5 in green (Groups:PerPeer 1).
/// A group message reaches the members and nobody else; a remote that sends a group link what it does not carry, or
/// sends an overlay link a group's message, costs that one connection.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GroupNetworkTests
{
    private static readonly NodeEndpoint Stranger = NodeEndpoint.Loopback(65001); // nobody listens there: a raw socket claims it
    private static readonly string[] BothGroups = ["blue", "green"];
    private TestNetwork _network = null!;

    private IEnumerable<NodeService> Members(string group) => _network.Peers.Where((_, i) => (i % 2 == 0) == (group == "blue"));

    [OneTimeSetUp]
    public async Task StartNetwork()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _network = await TestNetwork.StartAsync(2, 6, new Dictionary<string, string?>
        {
            ["Peer:MessagesPerPeer"] = "0",
            ["Groups:Names"] = "blue,green",
            ["Groups:PerPeer"] = "1",
            ["Groups:MaxNeighbours"] = "2",
            ["Groups:MessagesPerPeer"] = "0",
        }, cts.Token);
        await _network.WaitForOverlayAsync(cts.Token);
        await WaitForGroupsAsync(cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    private Task WaitForGroupsAsync(CancellationToken ct) =>
        Eventually.HoldsAsync(async () =>
        {
            foreach (var group in BothGroups)
            {
                foreach (var peer in Members(group).Where(p => !p.IsDown))
                {
                    var linked = await peer.ApplyToPeerAsync((m, _) => m.GroupSettled(group) && m.GroupNeighbours(group).Count > 0, ct);
                    if (!linked)
                    {
                        return $"peer {peer.Endpoint} has no link in group {group} yet";
                    }
                }
            }
            return null;
        }, TimeSpan.FromSeconds(20), ct);

    [Test]
    [CancelAfter(30_000)]
    public async Task A_group_message_reaches_every_member_and_no_other_peer(CancellationToken ct)
    {
        var published = new List<(NodeEndpoint Origin, MessageId Id)>();
        foreach (var peer in Members("blue"))
        {
            var id = await peer.ApplyToPeerAsync((m, now) => m.Publish("blue", now, $"blue news from {m.Self.Port}"), ct);
            published.Add((peer.Endpoint, id!.Value));
        }

        await ExpectGroupDeliveryAsync("blue", published, ct);
        foreach (var outsider in Members("green"))
        {
            var (member, overlay, history) = await outsider.ApplyToPeerAsync((m, _) => (m.IsMember("blue"), published.Count(p => m.Messages.Contains(p.Id)),
                published.Count(p => m.History.TryGet(p.Id, out var _))), ct);
            Assert.That((member, overlay, history), Is.EqualTo((false, 0, 0)), $"{outsider.Endpoint} is no member of blue and holds none of its messages");
            Assert.That(_network.ReadLog(outsider.Endpoint.Port), Does.Not.Contain("Group \"blue\""), "nothing of blue happened at a green peer");
        }
        var stats = _network.Stats.ComputeGroupDelivery();
        Assert.That(stats.Groups.Single(g => g.Group == "blue").Delivered, Is.GreaterThanOrEqualTo(6), "3 messages, each to the 2 other members");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_link_for_a_group_the_peer_is_not_in_is_answered_with_a_goodbye_and_closed(CancellationToken ct)
    {
        var outsider = Members("green").First();
        using var client = await RawClient.ConnectAsync(outsider, ct);
        await RawClient.HandshakeAsync(client, Stranger, ct, purpose: LinkPurpose.ForGroup("blue"));

        var received = await RawClient.ReadUntilClosedAsync(client, ct);
        Assert.That(ContainsFrame(received, FrameCodec.Encode(Goodbye.Instance)), Is.True, "a goodbye before the close");
        await ExpectLogLineAsync(outsider, "Group \"blue\": refused a link from 127.0.0.1:65001: not a member of the group", ct);
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_broadcast_on_a_group_link_closes_that_connection_only(CancellationToken ct) =>
        await ExpectViolationAsync(Members("blue").First(), LinkPurpose.ForGroup("blue"),
            new GossipMessage(GossipKind.Gossip, Stranger, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1, "not for a group link"),
            "Group \"blue\": Rejected input from 127.0.0.1:65001: a broadcast (kind 1) on a link of group \"blue\"", ct);

    [Test]
    [CancelAfter(30_000)]
    public async Task Another_groups_message_on_a_group_link_closes_that_connection_only(CancellationToken ct) =>
        await ExpectViolationAsync(Members("blue").Skip(1).First(), LinkPurpose.ForGroup("blue"), GroupMessage("green"),
            "Group \"blue\": Rejected input from 127.0.0.1:65001: a message for group \"green\" on a link of group \"blue\"", ct);

    [Test]
    [CancelAfter(30_000)]
    public async Task A_group_message_on_an_overlay_link_closes_that_connection_only(CancellationToken ct) =>
        await ExpectViolationAsync(Members("green").Skip(1).First(), LinkPurpose.Overlay, GroupMessage("green"),
            "Rejected input from 127.0.0.1:65001: a Group envelope (kind 2) on an overlay link, which carries broadcasts only", ct);

    private static GossipMessage GroupMessage(string group) =>
        new GossipMessage(GossipKind.Group, Stranger, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 1, "smuggled") with { Group = group };

    /// <summary>A raw client opens a link for <paramref name="purpose"/>, sends <paramref name="message"/>: the node logs it, closes that link, and its groups still deliver.</summary>
    private async Task ExpectViolationAsync(NodeService target, LinkPurpose purpose, GossipMessage message, string line, CancellationToken ct)
    {
        using var client = await RawClient.ConnectAsync(target, ct);
        var stream = client.GetStream();
        await RawClient.HandshakeAsync(client, Stranger, ct, purpose: purpose);
        await stream.WriteAsync(FrameCodec.Encode(message), ct);
        await RawClient.ReadUntilClosedAsync(client, ct);
        await ExpectLogLineAsync(target, line, ct);

        var group = purpose.Group ?? "green";
        var published = new List<(NodeEndpoint Origin, MessageId Id)>();
        foreach (var peer in Members(group))
        {
            var id = await peer.ApplyToPeerAsync((m, now) => m.Publish(group, now), ct);
            published.Add((peer.Endpoint, id!.Value));
        }
        await ExpectGroupDeliveryAsync(group, published, ct);
        var smuggled = await target.ApplyToPeerAsync((m, _) => m.Messages.Contains(message.Id) || (m.GroupMessages(group)?.Contains(message.Id) ?? false), ct);
        Assert.That(smuggled, Is.False, "the offending message was not taken");
        Assert.That(_network.Stats.ComputeDeaths(), Is.Empty, "bad input must not make anybody look dead");
    }

    private Task ExpectGroupDeliveryAsync(string group, IReadOnlyList<(NodeEndpoint Origin, MessageId Id)> published, CancellationToken ct) =>
        Eventually.HoldsAsync(async () =>
        {
            foreach (var member in Members(group))
            {
                var missing = await member.ApplyToPeerAsync((m, _) => published.Count(p => p.Origin != m.Self && !(m.GroupMessages(group)?.Contains(p.Id) ?? false)), ct);
                if (missing > 0)
                {
                    return $"member {member.Endpoint} of {group} is missing {missing} of its messages";
                }
            }
            return null;
        }, TimeSpan.FromSeconds(15), ct);

    private static bool ContainsFrame(byte[] received, byte[] frame) => received.AsSpan().IndexOf(frame) >= 0;

    private Task ExpectLogLineAsync(NodeService node, string text, CancellationToken ct) =>
        Eventually.HoldsAsync(() => _network.ReadLog(node.Endpoint.Port).Contains(text, StringComparison.Ordinal)
            ? null
            : $"no line with \"{text}\" in Log_{node.Endpoint.Port}.txt", TimeSpan.FromSeconds(5), ct);
}
