using P2PSim.Configuration;
using P2PSim.Groups;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Nodes;
using static P2PSim.Tests.Nodes.NodeTestKit;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Groups;

/// <summary>
/// A member's group keys, driven by hand on a peer machine that skips the cryptography (key ids only, texts unencrypted
/// in sealed sizes: every rule but the ciphers, which <c>Security/GroupSealTests.cs</c> and the tcp tests cover): who
/// makes a key, that keys go on a link before anything else of the group and on to the other members, and that a message
/// whose key has not come yet is held and read when it comes, or reported unread, never lost silently.
/// </summary>
[TestFixture]
public sealed class GroupKeyringTests
{
    private static readonly LinkPurpose Blue = LinkPurpose.ForGroup("blue");
    private static readonly GroupKeyId Early = new(1, 1);
    private static readonly byte[] Zeros = new byte[PrivateSeal.CapsuleSize];

    /// <summary>A member of blue (encrypting) with links to <paramref name="members"/>, its outbox empty.</summary>
    private static (MachineProbe<PeerMachine> Probe, ConnectionId[] Links) Member(params int[] members)
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1),
            groups: new GroupOptions { MessagesPerPeer = 0 }, startGroups: ["blue"]), T0);
        probe.Start();
        probe.ConnectSeed(SeedAt(1));
        probe.Receive(SeedAt(1), new PeerList([]));
        probe.Receive(SeedAt(1), new GroupMembers("blue", []));
        var links = members.Select(p => probe.Connect(PeerAt(p), NodeRole.Peer, inbound: true, purpose: Blue)).ToArray();
        probe.Take();
        return (probe, links);
    }

    private static GossipMessage Sealed(int origin, ulong sequence, GroupKeyId keyId, string text) =>
        new GossipMessage(GossipKind.Group, PeerAt(origin), sequence, T0.ToUnixTimeMilliseconds(), 2, GroupSeal.Unsealed(keyId, text)) { Group = "blue" };

    private static NodeEvent[] GroupReports(NodeAction[] actions) => actions.ReportsOf<GroupEvent>().Select(e => e.Event).ToArray();

    [Test]
    public void The_first_member_to_publish_makes_the_key_and_gives_it_to_every_member_before_the_message()
    {
        var (probe, links) = Member(2, 3);

        probe.Machine.Publish("blue", probe.Now, "first words");
        var actions = probe.Take();

        var made = GroupReports(actions).OfType<GroupKeyMade>().Single();
        foreach (var link in links)
        {
            var sent = actions.Sends().Where(s => s.Connection == link).Select(s => s.Message).ToArray();
            Assert.That(sent.Select(m => m.GetType()), Is.EqualTo(new[] { typeof(GroupKey), typeof(GossipMessage) }), "the key goes first on each link");
            Assert.That(((GroupKey)sent[0]).KeyId, Is.EqualTo(made.KeyId));
            Assert.That(GroupSeal.KeyIdOf(((GossipMessage)sent[1]).Text), Is.EqualTo(made.KeyId), "and the message names it");
            Assert.That(((GossipMessage)sent[1]).Text, Does.Not.Contain("first words"));
        }

        probe.Machine.Publish("blue", probe.Now, "second words");
        var again = probe.Take();
        Assert.That(again.Sends().Select(s => s.Message), Is.All.TypeOf<GossipMessage>(), "a key is given on a link once");
        Assert.That(GroupReports(again).OfType<GroupKeyMade>(), Is.Empty, "and made once");
    }

    [Test]
    public void A_new_link_is_given_every_key_before_the_groups_digest()
    {
        var (probe, _) = Member(2);
        probe.Machine.Publish("blue", probe.Now, "so there is a key");
        probe.Take();

        probe.Connect(PeerAt(4), NodeRole.Peer, inbound: true, purpose: Blue);
        var sent = probe.Take().Sends().Select(s => s.Message).ToArray();

        Assert.That(sent[0], Is.TypeOf<GroupKey>(), "the key first");
        Assert.That(sent.Skip(1).OfType<Digest>(), Is.Not.Empty, "then the catch-up digest");
    }

    [Test]
    public void A_key_learned_goes_on_to_the_other_members_and_the_smallest_id_held_is_the_one_published_under()
    {
        var (probe, links) = Member(2, 3);
        probe.Machine.Publish("blue", probe.Now, "under my own key");
        var mine = GroupReports(probe.Take()).OfType<GroupKeyMade>().Single().KeyId;
        Assert.That(Early.Precedes(mine), Is.True, "the test's key sorts first");

        probe.Receive(links[0], new GroupKey(Early, Zeros));
        var actions = probe.Take();

        Assert.That(GroupReports(actions).OfType<GroupKeyLearned>().Single(), Is.EqualTo(new GroupKeyLearned(probe.Now, Early, PeerAt(2), 2)));
        Assert.That(actions.Sends().Select(s => (s.Connection, (s.Message as GroupKey)?.KeyId)), Is.EqualTo(new[] { (links[1], (GroupKeyId?)Early) }),
            "passed on to the other member, not back");
        probe.Machine.Publish("blue", probe.Now, "under the smallest");
        var published = probe.Take().Sends().Select(s => s.Message).OfType<GossipMessage>().First();
        Assert.That(GroupSeal.KeyIdOf(published.Text), Is.EqualTo(Early));
    }

    [Test]
    public void A_message_before_its_key_is_recorded_forwarded_and_held_then_read_when_the_key_comes()
    {
        var (probe, links) = Member(2, 3);
        var message = Sealed(9, 1, Early, "waited for its key");

        probe.Receive(links[0], message);
        var first = probe.Take();

        Assert.That(GroupReports(first).OfType<GossipReceived>(), Is.Empty, "not read yet");
        Assert.That(GroupReports(first).OfType<GroupMessageHeld>().Single().KeyId, Is.EqualTo(Early));
        Assert.That(first.Sends().Where(s => s.Message is GossipMessage).Select(s => s.Connection), Is.EqualTo(new[] { links[1] }), "forwarded all the same");
        Assert.That(probe.Machine.GroupMessages("blue")!.Contains(message.Id), Is.True, "and recorded");

        probe.Receive(links[1], new GroupKey(Early, Zeros));
        var read = GroupReports(probe.Take()).OfType<GossipReceived>().Single();
        Assert.That((read.Id, read.Text, read.From), Is.EqualTo((message.Id, "waited for its key", PeerAt(2))));
        Assert.That(probe.Machine.GroupTopic("blue")!.Keyring!.HeldCount, Is.Zero);

        probe.Receive(links[1], message with { Hops = 3 });
        Assert.That(GroupReports(probe.Take()).OfType<GossipReceived>(), Is.Empty, "a later copy is a duplicate: read once");
    }

    [Test]
    public void A_message_whose_key_never_comes_is_reported_unread_after_the_wait()
    {
        var (probe, links) = Member(2);
        var message = Sealed(9, 1, Early, "never read");
        probe.Receive(links[0], message);
        probe.Take();

        var early = probe.TimerAfter(GroupKeyring.KeyWait - TimeSpan.FromSeconds(1));
        Assert.That(GroupReports(early).OfType<GroupMessageUnread>(), Is.Empty);
        var late = probe.TimerAfter(TimeSpan.FromSeconds(1));

        var unread = GroupReports(late).OfType<GroupMessageUnread>().Single();
        Assert.That((unread.Id, unread.Origin), Is.EqualTo((message.Id, PeerAt(9))));
        Assert.That(unread.Reason, Does.Contain("did not come within 60 s"));
        Assert.That(probe.Machine.GroupTopic("blue")!.Keyring!.Unread, Is.EqualTo(1));
    }

    [Test]
    public void A_payload_that_is_no_sealed_text_is_refused_like_a_forgery_and_the_link_stays()
    {
        var (probe, links) = Member(2);
        var plain = new GossipMessage(GossipKind.Group, PeerAt(9), 1, T0.ToUnixTimeMilliseconds(), 2, "in clear") { Group = "blue" };

        probe.Receive(links[0], plain);
        var actions = probe.Take();

        var forged = GroupReports(actions).OfType<GossipForged>().Single();
        Assert.That((forged.Id, forged.Violation), Is.EqualTo((plain.Id, false)));
        Assert.That(actions.Closes(), Is.Empty);
        Assert.That(probe.Machine.GroupMessages("blue")!.Contains(plain.Id), Is.False, "not recorded: a real copy is still taken");
        Assert.That(actions.Sends().Where(s => s.Message is GossipMessage), Is.Empty, "nor forwarded");
    }

    [Test]
    public void A_group_that_does_not_encrypt_sends_its_texts_as_they_are_and_no_keys()
    {
        var probe = new MachineProbe<PeerMachine>(new PeerMachine(PeerAt(1), Seeds(1), QuietShortIntervals(), new Random(1),
            groups: new GroupOptions { MessagesPerPeer = 0, Encrypt = false }, startGroups: ["blue"]), T0);
        probe.Start();
        probe.ConnectSeed(SeedAt(1));
        probe.Receive(SeedAt(1), new PeerList([]));
        probe.Receive(SeedAt(1), new GroupMembers("blue", []));
        probe.Connect(PeerAt(2), NodeRole.Peer, inbound: true, purpose: Blue);
        probe.Take();

        probe.Machine.Publish("blue", probe.Now, "in clear");

        var sent = probe.Take().Sends().Select(s => s.Message).ToArray();
        Assert.That(sent.OfType<GroupKey>(), Is.Empty);
        Assert.That(sent.OfType<GossipMessage>().Single().Text, Is.EqualTo("in clear"));
    }
}
