using System.Text;
using P2PSim.Protocol;
using P2PSim.Security;
using GossipMessage = P2PSim.Protocol.Gossip;

namespace P2PSim.Tests.Security;

/// <summary>
/// The ciphers of encrypted group messages (PROTOCOL.md, <i>Encrypted group messages</i>; <c>Security/GroupSeal.cs</c>):
/// a text sealed under the group key opens with it and nothing else, any change fails, keys are derived (the same on
/// every run), and a key capsule opens only for the id it was sealed to, for its group and key.
/// </summary>
public class GroupSealTests
{
    private static readonly NodeEndpoint Origin = NodeEndpoint.Loopback(6001);

    private static (NodeKey Key, SealingKey Sealing) Member(int index)
    {
        var key = NodeKey.Derived(7, "peer", index);
        return (key, new SealingKey(key));
    }

    private static GossipMessage Envelope(NodeKey origin, byte[] groupKey, string text, string group = "blue", ulong sequence = 3, long timestamp = 1_700_000_000_123)
    {
        var keyId = GroupSeal.IdOf(group, groupKey);
        var payload = GroupSeal.Seal(groupKey, keyId, GroupSeal.Header(Origin, origin.Id, group, sequence, timestamp), text);
        var envelope = new GossipMessage(GossipKind.Group, Origin, sequence, timestamp, 1, payload) { OriginId = origin.Id, Group = group };
        return envelope with { Signature = MessageSignature.SignMessage(origin, envelope.Id) };
    }

    [Test]
    public void A_sealed_text_opens_with_the_group_key_only_and_holds_no_plaintext()
    {
        var (origin, sealing) = Member(1);
        using (origin)
        using (sealing)
        {
            var groupKey = GroupSeal.NewKey(sealing.Secret, "blue", 1_700_000_000_000);
            var envelope = Envelope(origin, groupKey, "meet at the old mill");

            using (Assert.EnterMultipleScope())
            {
                Assert.That(GroupSeal.Open(groupKey, envelope), Is.EqualTo("meet at the old mill"));
                Assert.That(GroupSeal.Open(GroupSeal.NewKey(sealing.Secret, "blue", 1_700_000_000_001), envelope), Is.Null, "another key does not open it");
                Assert.That(Convert.FromBase64String(envelope.Text).AsSpan().IndexOf(Encoding.UTF8.GetBytes("old mill")), Is.EqualTo(-1));
                Assert.That(FrameCodec.Encode(envelope).AsSpan().IndexOf(Encoding.UTF8.GetBytes("old mill")), Is.EqualTo(-1), "nor does the frame");
                Assert.That(GroupSeal.KeyIdOf(envelope.Text), Is.EqualTo(GroupSeal.IdOf("blue", groupKey)), "the payload names its key");
            }
        }
    }

    [Test]
    public void Any_change_to_the_ciphertext_or_the_header_fails_to_open_and_breaks_the_signature()
    {
        var (origin, sealing) = Member(1);
        using (origin)
        using (sealing)
        {
            var groupKey = GroupSeal.NewKey(sealing.Secret, "blue", 1);
            var envelope = Envelope(origin, groupKey, "exact words");
            var bytes = Convert.FromBase64String(envelope.Text);
            bytes[^1] ^= 0x01;
            var altered = envelope with { Text = Convert.ToBase64String(bytes) };

            using (Assert.EnterMultipleScope())
            {
                Assert.That(GroupSeal.Open(groupKey, altered), Is.Null, "the tag fails");
                Assert.That(MessageSignature.Verifies(altered), Is.False, "and the id the origin signed is another: refused as a forgery first");
                Assert.That(GroupSeal.Open(groupKey, envelope with { Sequence = 4 }), Is.Null, "a header changed: the associated data differs");
                Assert.That(GroupSeal.Open(groupKey, envelope with { Group = "green" }), Is.Null, "another group");
                Assert.That(GroupSeal.Open(groupKey, envelope with { Text = "not base64!" }), Is.Null);
            }
        }
    }

    [Test]
    public void Keys_and_texts_are_derived_so_a_run_seals_the_same_way_every_time()
    {
        var (origin, sealing) = Member(1);
        using (origin)
        using (sealing)
        {
            var key = GroupSeal.NewKey(sealing.Secret, "blue", 42);
            using var again = new SealingKey(NodeKey.Derived(7, "peer", 1));

            Assert.That(GroupSeal.NewKey(again.Secret, "blue", 42), Is.EqualTo(key));
            Assert.That(GroupSeal.NewKey(again.Secret, "green", 42), Is.Not.EqualTo(key), "a key per group");
            var once = Envelope(origin, key, "same").Text;
            Assert.That(Envelope(origin, key, "same").Text, Is.EqualTo(once));
            Assert.That(Envelope(origin, key, "same").Text, Is.Not.EqualTo(Envelope(origin, key, "same", sequence: 4).Text), "another message, another nonce");
        }
    }

    [Test]
    public void A_key_capsule_opens_only_for_the_id_it_is_sealed_to_and_for_its_group_and_key()
    {
        var (giver, giving) = Member(1);
        var (taker, taking) = Member(2);
        var (other, otherSealing) = Member(3);
        using (giver)
        using (giving)
        using (taker)
        using (taking)
        using (other)
        using (otherSealing)
        {
            var key = GroupSeal.NewKey(giving.Secret, "blue", 5);
            var keyId = GroupSeal.IdOf("blue", key);
            var capsule = GroupSeal.CapsuleFor(giving.Secret, key, "blue", giver.Id, taker.Id)!;

            using (Assert.EnterMultipleScope())
            {
                Assert.That(capsule, Has.Length.EqualTo(PrivateSeal.CapsuleSize));
                Assert.That(GroupSeal.OpenCapsule(taking, capsule, "blue", keyId, giver.Id), Is.EqualTo(key));
                Assert.That(GroupSeal.OpenCapsule(otherSealing, capsule, "blue", keyId, giver.Id), Is.Null, "another id");
                Assert.That(GroupSeal.OpenCapsule(taking, capsule, "green", keyId, giver.Id), Is.Null, "another group");
                Assert.That(GroupSeal.OpenCapsule(taking, capsule, "blue", new GroupKeyId(1, 2), giver.Id), Is.Null, "another key id");
                Assert.That(GroupSeal.OpenCapsule(taking, capsule, "blue", keyId, other.Id), Is.Null, "another giver");
                var bent = capsule.ToArray();
                bent[40] ^= 1;
                Assert.That(GroupSeal.OpenCapsule(taking, bent, "blue", keyId, giver.Id), Is.Null, "a capsule altered");
            }
        }
    }

    [Test]
    public void No_new_key_when_a_member_leaves_so_a_key_it_kept_still_opens_later_messages()
    {
        // The documented limit (PROTOCOL.md): groups are open and are not re-keyed when a member leaves. A peer forgets a
        // group's keys when it leaves; one that kept them could read later messages, were it given their bytes.
        var (origin, sealing) = Member(1);
        using (origin)
        using (sealing)
        {
            var key = GroupSeal.NewKey(sealing.Secret, "blue", 9);
            var keptByTheLeaver = key.ToArray();

            var later = Envelope(origin, key, "after the leave", sequence: 99, timestamp: 1_800_000_000_000);

            Assert.That(GroupSeal.Open(keptByTheLeaver, later), Is.EqualTo("after the leave"));
        }
    }

    [Test]
    public void A_text_longer_than_an_encrypted_message_holds_is_refused_and_the_longest_fills_the_payload()
    {
        var (origin, sealing) = Member(1);
        using (origin)
        using (sealing)
        {
            var key = GroupSeal.NewKey(sealing.Secret, "blue", 1);
            var longest = Envelope(origin, key, new string('x', GroupSeal.MaxTextBytes));

            Assert.That(Encoding.UTF8.GetByteCount(longest.Text), Is.EqualTo(ProtocolLimits.MaxPayloadBytes));
            Assert.That(() => Envelope(origin, key, new string('x', GroupSeal.MaxTextBytes + 1)), Throws.ArgumentException.With.Message.Contains("at most 3028"));
            Assert.That(GroupSeal.Unsealed(new GroupKeyId(1, 2), "abc"), Has.Length.EqualTo(Envelope(origin, key, "abc").Text.Length), "skipping the cryptography keeps the size");
        }
    }
}
