using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using P2PSim.Gossip;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.TestSupport;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Integration;

/// <summary>
/// Encrypted group messages (PROTOCOL.md, <i>Encrypted group messages</i>) on a small real network on loopback, with
/// plain links so a raw client sees the frames as the nodes write them: 2 seeds, 6 peers, peers 0, 2 and 4 in blue, 1, 3
/// and 5 in green, <c>Groups:Encrypt</c> at its default (on). Members read every message once; the bytes on a group link
/// hold no text, and the key on it is sealed to the member at its other end; a peer that joins late is given the key
/// and reads; a message altered on the way, sealed wrong, or a key sealed to another id is refused.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EncryptedGroupTcpTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
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
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var group in BothGroups)
            {
                foreach (var peer in Members(group))
                {
                    if (!await peer.ApplyToPeerAsync((m, _) => m.GroupSettled(group) && m.GroupNeighbours(group).Count > 0, cts.Token))
                    {
                        return $"peer {peer.Endpoint} has no link in group {group} yet";
                    }
                }
            }
            return null;
        }, Within, cts.Token);
    }

    [OneTimeTearDown]
    public async Task StopNetwork() => await _network.DisposeAsync();

    [Test]
    [CancelAfter(45_000)]
    public async Task Every_member_reads_every_group_message_exactly_once_and_no_seed_or_other_peer_sees_its_text(CancellationToken ct)
    {
        var texts = new List<(NodeService Origin, string Text, MessageId Id)>();
        foreach (var peer in Members("blue"))
        {
            var text = $"blue secret {Guid.NewGuid():N}";
            var id = await peer.ApplyToPeerAsync((m, now) => m.Publish("blue", now, text), ct);
            texts.Add((peer, text, id!.Value));
        }

        await Eventually.HoldsAsync(() =>
        {
            foreach (var member in Members("blue"))
            {
                var log = _network.ReadLog(member.Endpoint.Port);
                foreach (var (origin, text, _) in texts.Where(t => t.Origin != member))
                {
                    if (!log.Contains($"Group \"blue\": received \"{text}\"", StringComparison.Ordinal))
                    {
                        return $"member {member.Endpoint} has not read \"{text}\" from {origin.Endpoint}";
                    }
                }
            }
            return null;
        }, Within, ct);

        foreach (var member in Members("blue"))
        {
            var lines = _network.ReadLog(member.Endpoint.Port).Split('\n');
            foreach (var (origin, text, _) in texts.Where(t => t.Origin != member))
            {
                Assert.That(lines.Count(l => l.Contains($"received \"{text}\"", StringComparison.Ordinal)), Is.EqualTo(1), $"{member.Endpoint} read {origin.Endpoint}'s message once");
            }
        }
        var node = _network.Seeds.Concat(Members("green")).Select(n => (n.Endpoint, Log: _network.ReadLog(n.Endpoint.Port)));
        foreach (var (endpoint, log) in node)
        {
            foreach (var (_, text, _) in texts)
            {
                Assert.That(log, Does.Not.Contain(text[^32..]), $"{endpoint} (a seed, or a peer of green) never saw the text");
            }
        }
        var stats = _network.Stats.ComputeGroupDelivery().Groups.Single(g => g.Group == "blue");
        Assert.That(stats.Delivered, Is.GreaterThanOrEqualTo(6), "3 messages, each read by the 2 other members");
        Assert.That(_network.Stats.ComputeGroupDelivery().Repeated, Is.Zero, "none read twice");
    }

    [Test]
    [CancelAfter(45_000)]
    public async Task A_group_links_bytes_hold_no_text_and_the_key_on_it_opens_only_for_the_member_at_its_end(CancellationToken ct)
    {
        var member = Members("blue").First();
        await member.ApplyToPeerAsync((m, now) => m.Publish("blue", now, "so that the group has a key"), ct);
        using var key = NodeKey.Generate();
        var claimed = NodeEndpoint.Loopback(65021);
        using var client = await RawClient.ConnectAsync(member, ct);
        await RawClient.HandshakeAsync(client, claimed, ct, purpose: LinkPurpose.ForGroup("blue"), key: key);
        var (keyFrame, groupKey) = await NextAsync<GroupKey>(client, ct);

        var text = $"for blue only {Guid.NewGuid():N}";
        var id = await Members("blue").Skip(1).First().ApplyToPeerAsync((m, now) => m.Publish("blue", now, text), ct);
        var (frame, envelope) = await NextAsync<GossipMessage>(client, ct, g => g.Id == id);

        using var own = new SealingKey(key);
        using var stranger = new SealingKey(NodeKey.Derived(1, "stranger", 1));
        var opened = GroupSeal.OpenCapsule(own, groupKey.Capsule, "blue", groupKey.KeyId, member.Id);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Contains(frame, Encoding.UTF8.GetBytes(text[^32..])), Is.False, "the bytes on the link hold no text");
            Assert.That(opened, Is.Not.Null, "the key on the link is sealed to the id that linked");
            Assert.That(GroupSeal.OpenCapsule(stranger, groupKey.Capsule, "blue", groupKey.KeyId, member.Id), Is.Null, "no other id opens it");
            Assert.That(GroupSeal.OpenCapsule(own, groupKey.Capsule, "green", groupKey.KeyId, member.Id), Is.Null, "nor is it another group's key");
            Assert.That(Contains(keyFrame, opened ?? []), Is.False, "the key itself is not on the link");
            Assert.That(GroupSeal.Open(opened!, envelope), Is.EqualTo(text), "the group key opens the message");
            Assert.That(MessageSignature.Verifies(envelope), Is.True, "signed by its origin, ciphertext included");
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_peer_that_joins_late_is_given_the_key_and_reads_what_is_published_after_it_joined(CancellationToken ct)
    {
        var before = $"before the join {Guid.NewGuid():N}";
        await Members("blue").First().ApplyToPeerAsync((m, now) => m.Publish("blue", now, before), ct);
        var late = Members("green").Last();
        await late.ApplyToPeerAsync((m, now) => m.JoinGroup("blue", now), ct);
        await Eventually.HoldsAsync(async () => await late.ApplyToPeerAsync((m, _) => m.GroupSettled("blue") && m.GroupNeighbours("blue").Count > 0, ct)
            ? null : $"{late.Endpoint} has no link in blue yet", Within, ct);

        var after = $"after the join {Guid.NewGuid():N}";
        var publisher = Members("blue").Skip(1).First();
        await publisher.ApplyToPeerAsync((m, now) => m.Publish("blue", now, after), ct);

        await ExpectLogLineAsync(late, "Group \"blue\": got the group key [", ct);
        await ExpectLogLineAsync(late, $"Group \"blue\": received \"{after}\"", ct);
        await ExpectLogLineAsync(late, $"Group \"blue\": received \"{before}\"", ct); // caught up from the group's history, and read
        Assert.That(_network.ReadLog(late.Endpoint.Port), Does.Not.Contain("could not read"), "nothing left unread");
        await late.ApplyToPeerAsync((m, now) => m.LeaveGroup("blue", now), ct);
    }

    [Test]
    [CancelAfter(45_000)]
    public async Task A_message_altered_on_the_way_or_sealed_wrong_and_a_key_sealed_to_another_id_are_refused(CancellationToken ct)
    {
        var member = Members("blue").Skip(2).First();
        await member.ApplyToPeerAsync((m, now) => m.Publish("blue", now, "so that the group has a key"), ct);
        using var key = NodeKey.Generate();
        var claimed = NodeEndpoint.Loopback(65022);
        byte[] groupKey;
        GroupKeyId keyId;

        using (var client = await RawClient.ConnectAsync(member, ct))
        {
            await RawClient.HandshakeAsync(client, claimed, ct, purpose: LinkPurpose.ForGroup("blue"), key: key);
            var (_, given) = await NextAsync<GroupKey>(client, ct);
            using var own = new SealingKey(key);
            groupKey = GroupSeal.OpenCapsule(own, given.Capsule, "blue", given.KeyId, member.Id)!;
            keyId = given.KeyId;

            // Sealed wrong by its origin (the client itself): it names the group's key and does not open with it. Refused, the link stays.
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var garbage = Convert.ToBase64String([.. keyId.ToBytes(), .. new byte[12 + 40]]);
            var wrong = Signed(key, new GossipMessage(GossipKind.Group, claimed, 1, now, 1, garbage) { OriginId = key.Id, Group = "blue" });
            await client.GetStream().WriteAsync(FrameCodec.Encode(wrong), ct);
            await ExpectLogLineAsync(member, $"[{wrong.Id.Short}]", ct, and: "does not open with the group key it names");

            // Sealed right by the client: read (the link stayed).
            var right = SealedBy(key, claimed, groupKey, keyId, 2, $"from outside {Guid.NewGuid():N}");
            await client.GetStream().WriteAsync(FrameCodec.Encode(right), ct);
            await ExpectLogLineAsync(member, $"received \"{GroupSeal.Open(groupKey, right)}\"", ct);

            // The same message with one byte of its ciphertext changed on the way: its id changes, the signature fails: a forgery.
            var payload = Convert.FromBase64String(right.Text);
            payload[^1] ^= 1;
            var altered = right with { Text = Convert.ToBase64String(payload) };
            await client.GetStream().WriteAsync(FrameCodec.Encode(altered), ct);
            await RawClient.ExpectClosedByNodeAsync(client, ct);
            await ExpectLogLineAsync(member, "whose signature does not verify: forged or altered", ct);
        }

        using (var client = await RawClient.ConnectAsync(member, ct))
        {
            using var other = NodeKey.Generate();
            var theirs = await RawClient.HandshakeAsync(client, NodeEndpoint.Loopback(65023), ct, purpose: LinkPurpose.ForGroup("blue"), key: key);
            using var sealing = new SealingKey(key);
            var newKey = GroupSeal.NewKey(sealing.Secret, "blue", 1);
            var capsule = GroupSeal.CapsuleFor(sealing.Secret, newKey, "blue", key.Id, other.Id)!; // sealed to another id than the member's
            await client.GetStream().WriteAsync(FrameCodec.Encode(new GroupKey(GroupSeal.IdOf("blue", newKey), capsule)), ct);
            await RawClient.ExpectClosedByNodeAsync(client, ct);
            await ExpectLogLineAsync(member, "Rejected input from 127.0.0.1:65023: ", ct, and: "that does not open with this peer's key");
            Assert.That(theirs.Id, Is.EqualTo(member.Id));
        }

        var text = $"still reading {Guid.NewGuid():N}";
        await Members("blue").First().ApplyToPeerAsync((m, now) => m.Publish("blue", now, text), ct);
        await ExpectLogLineAsync(member, $"Group \"blue\": received \"{text}\"", ct);
    }

    private static GossipMessage Signed(NodeKey key, GossipMessage envelope) => envelope with { Signature = MessageSignature.SignMessage(key, envelope.Id) };

    private static GossipMessage SealedBy(NodeKey key, NodeEndpoint origin, byte[] groupKey, GroupKeyId keyId, ulong sequence, string text)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var payload = GroupSeal.Seal(groupKey, keyId, GroupSeal.Header(origin, key.Id, "blue", sequence, now), text);
        return Signed(key, new GossipMessage(GossipKind.Group, origin, sequence, now, 1, payload) { OriginId = key.Id, Group = "blue" });
    }

    /// <summary>The next frame of type <typeparamref name="T"/> (matching <paramref name="wanted"/>) on the link, with its bytes; pings are answered meanwhile.</summary>
    private static async Task<(byte[] Frame, T Message)> NextAsync<T>(TcpClient client, CancellationToken ct, Func<T, bool>? wanted = null)
        where T : Message
    {
        var stream = client.GetStream();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(15));
        while (true)
        {
            var prefix = new byte[ProtocolLimits.LengthPrefixSize];
            await stream.ReadExactlyAsync(prefix, deadline.Token);
            var frame = new byte[ProtocolLimits.LengthPrefixSize + BinaryPrimitives.ReadInt32BigEndian(prefix)];
            prefix.CopyTo(frame, 0);
            await stream.ReadExactlyAsync(frame.AsMemory(ProtocolLimits.LengthPrefixSize), deadline.Token);
            Assert.That(FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out var message, out _, out var error), Is.EqualTo(DecodeStatus.Complete), error);
            switch (message)
            {
                case T found when wanted is null || wanted(found):
                    return (frame, found);
                case Ping ping:
                    await stream.WriteAsync(FrameCodec.Encode(new Pong(ping.Sequence)), deadline.Token);
                    break;
                default:
                    break;
            }
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => needle.Length > 0 && haystack.AsSpan().IndexOf(needle) >= 0;

    private Task ExpectLogLineAsync(NodeService node, string text, CancellationToken ct, string? and = null) =>
        Eventually.HoldsAsync(() =>
        {
            var lines = _network.ReadLog(node.Endpoint.Port).Split('\n');
            return lines.Any(l => l.Contains(text, StringComparison.Ordinal) && (and is null || l.Contains(and, StringComparison.Ordinal)))
                ? null
                : $"no line with \"{text}\"{(and is null ? "" : $" and \"{and}\"")} in Log_{node.Endpoint.Port}.txt";
        }, Within, ct);
}
