using System.Text;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Experiments;
using P2PSim.Hosting;
using P2PSim.Protocol;
using P2PSim.Security;
using P2PSim.Tests.Protocol;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Security;

/// <summary>
/// Ids cost work (PROTOCOL.md, <i>Ids cost work</i>): the puzzle itself against values computed apart, the Hello's new
/// fields, the setting, and the nonce kept with the key in <c>Security:KeyFolder</c>.
/// </summary>
public class IdWorkTests
{
    [Test]
    public void The_worked_examples_id_work_is_the_first_nonce_with_16_zero_bits()
    {
        // Python: hashlib.sha256(b"P2PSim/6 id work" + id + (53944).to_bytes(8, "big")).hexdigest() = "0000b4bc2878..."
        // and no smaller nonce gives 16 zero bits; nonce 0 gives 0 bits ("97ed5853...").
        using (Assert.EnterMultipleScope())
        {
            Assert.That(IdWork.Find(FrameCodecVersion4Tests.TestId, 16), Is.EqualTo(FrameCodecVersion4Tests.TestIdWork));
            Assert.That(IdWork.ZeroBits(FrameCodecVersion4Tests.TestId, 0xD2B8), Is.EqualTo(16));
            Assert.That(IdWork.ZeroBits(FrameCodecVersion4Tests.TestId, 0), Is.Zero);
            Assert.That(IdWork.Find(FrameCodecVersion4Tests.TestId, 8), Is.EqualTo(new IdWork(8, 148)), "0x94: 9 zero bits, the first with 8");
            Assert.That(IdWork.Domain.ToArray(), Is.EqualTo("P2PSim/6 id work"u8.ToArray()));
        }
    }

    [Test]
    public void Work_meets_its_difficulty_and_no_more_is_assumed()
    {
        var work = FrameCodecVersion4Tests.TestIdWork;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(IdWork.Meets(FrameCodecVersion4Tests.TestId, work.Nonce, 16), Is.True);
            Assert.That(IdWork.Meets(FrameCodecVersion4Tests.TestId, work.Nonce, 17), Is.False, "0000B4..: exactly 16 bits");
            Assert.That(IdWork.Meets(FrameCodecVersion4Tests.TestId, work.Nonce, 0), Is.True);
            Assert.That(IdWork.Meets(FrameCodecVersion4Tests.TestId, 0, 1), Is.False);
            Assert.That(IdWork.Meets(new NodeId(1, 2, 3, 4), work.Nonce, 16), Is.False, "the work is for one id only");
            Assert.That(IdWork.Find(FrameCodecVersion4Tests.TestId, 0), Is.EqualTo(IdWork.None));
        }
    }

    [Test]
    public void A_hello_asking_more_than_32_bits_is_malformed()
    {
        var frame = FrameCodec.Encode(FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001))));
        frame[4 + 1 + 2 + 1 + 7 + NodeId.Size] = IdWork.MaxDifficulty + 1; // the difficulty byte, after the id

        var status = FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: id difficulty 33 is over 32")));
    }

    [TestCase(1)]
    [TestCase(5)]
    [TestCase(9)]
    public void A_hello_cut_short_in_its_work_is_truncated(int workBytes)
    {
        var full = FrameCodec.Encode(FrameCodecVersion4Tests.WithTestIdentity(new Hello(ProtocolLimits.Version, NodeRole.Peer, NodeEndpoint.Loopback(5001))));
        var body = 1 + 2 + 1 + 7 + NodeId.Size + workBytes;
        var frame = full[..(4 + body)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, body);

        var status = FrameCodec.TryRead(frame, ProtocolLimits.DefaultMaxFrameLength, out _, out _, out var error);

        Assert.That((status, error), Is.EqualTo((DecodeStatus.Invalid, (string?)"malformed Hello frame: truncated payload")));
    }

    [TestCase(-1)]
    [TestCase(33)]
    public void A_difficulty_outside_0_to_32_is_refused_at_start_naming_the_setting(int difficulty)
    {
        var node = new SecurityOptionsValidator().Validate(null, new SecurityOptions { IdDifficulty = difficulty });
        var experiment = new ExperimentOptionsValidator().Validate(null, new ExperimentOptions { Security = new SecurityOptions { IdDifficulty = difficulty } });

        var expected = $"Security:IdDifficulty must be 0 (no work) to 32 leading zero bits (was {difficulty}).";
        using (Assert.EnterMultipleScope())
        {
            Assert.That(node.FailureMessage, Is.EqualTo(expected));
            Assert.That(experiment.Failures, Does.Contain(expected));
        }
    }

    [TestCase(0)]
    [TestCase(32)]
    public void A_difficulty_of_0_to_32_is_valid(int difficulty)
    {
        Assert.That(new SecurityOptionsValidator().Validate(null, new SecurityOptions { IdDifficulty = difficulty }).Succeeded, Is.True);
    }

    [Test]
    public void The_default_difficulty_is_14()
    {
        Assert.That(new SecurityOptions().IdDifficulty, Is.EqualTo(14));
    }

    [Test]
    public void A_node_with_a_stored_key_keeps_its_id_and_its_work_across_restarts()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        var options = Options.Create(new SecurityOptions { KeyFolder = folder.Path, IdDifficulty = 10 });
        NodeId id;
        IdWork work;
        using (var first = new NodeKeys(options))
        {
            id = first.For(NodeRole.Peer, 2).Id;
            work = first.WorkFor(NodeRole.Peer, 2);
        }
        var lines = File.ReadAllLines(Path.Combine(folder.Path, "peer-2.key"));
        using var restarted = new NodeKeys(options);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lines, Has.Length.EqualTo(2), "the seed, then the work's nonce");
            Assert.That(lines[1], Is.EqualTo(work.Nonce.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(IdWork.Meets(id, work.Nonce, 10), Is.True);
            Assert.That(restarted.For(NodeRole.Peer, 2).Id, Is.EqualTo(id));
            Assert.That(restarted.WorkFor(NodeRole.Peer, 2), Is.EqualTo(work));
        }
    }

    [Test]
    public void A_kept_nonce_is_used_as_it_is_and_not_searched_again()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        using var key = NodeKey.Generate();
        var later = NextMeeting(key.Id, 8, IdWork.Find(key.Id, 8).Nonce + 1); // not the first: a search from 0 would not find it
        File.WriteAllText(Path.Combine(folder.Path, "seed-0.key"), $"{Convert.ToHexStringLower(key.ExportSeed())}\n{later:x16}\n", Encoding.ASCII);

        using var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path, IdDifficulty = 8 }));

        Assert.That(keys.WorkFor(NodeRole.Seed, 0), Is.EqualTo(new IdWork(8, later)));
    }

    [Test]
    public void An_old_key_file_without_a_nonce_gets_one_found_and_saved()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        using var key = NodeKey.Generate();
        var path = Path.Combine(folder.Path, "peer-0.key");
        File.WriteAllText(path, Convert.ToHexStringLower(key.ExportSeed()) + "\n", Encoding.ASCII);

        using var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path, IdDifficulty = 9 }));
        var loaded = keys.For(NodeRole.Peer, 0);
        var work = keys.WorkFor(NodeRole.Peer, 0);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(loaded.Id, Is.EqualTo(key.Id), "the same key: only the nonce is new");
            Assert.That(work, Is.EqualTo(IdWork.Find(key.Id, 9)));
            Assert.That(File.ReadAllLines(path), Is.EqualTo(new[] { Convert.ToHexStringLower(key.ExportSeed()), work.Nonce.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) }));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "still the owner's only");
            }
        }
    }

    [Test]
    public void A_kept_nonce_that_falls_short_of_a_raised_difficulty_is_found_again_and_saved()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        IdWork low;
        using (var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path, IdDifficulty = 4 })))
        {
            low = keys.WorkFor(NodeRole.Peer, 1);
        }
        var id = new KeyFolder(folder.Path).LoadOrCreate("peer", 1).Id;
        var raised = IdWork.Find(id, 14);
        Assume.That(IdWork.Meets(id, low.Nonce, 14), Is.False, "the 4-bit nonce happens to have 14 bits: nothing to find again");

        using var again = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path, IdDifficulty = 14 }));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.WorkFor(NodeRole.Peer, 1), Is.EqualTo(raised));
            Assert.That(File.ReadAllLines(Path.Combine(folder.Path, "peer-1.key"))[1], Is.EqualTo(raised.Nonce.ToString("x16", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Test]
    public void A_damaged_nonce_line_stops_start_up_naming_the_file()
    {
        using var folder = TempDirectory.Create("p2psim-keys");
        using var key = NodeKey.Generate();
        File.WriteAllText(Path.Combine(folder.Path, "peer-0.key"), Convert.ToHexStringLower(key.ExportSeed()) + "\nnot a nonce\n", Encoding.ASCII);
        using var keys = new NodeKeys(Options.Create(new SecurityOptions { KeyFolder = folder.Path }));

        Assert.That(() => keys.For(NodeRole.Peer, 0), Throws.TypeOf<StartupException>()
            .With.Message.Contains("The second line of the node key").And.Message.Contains("peer-0.key is not 16 hex digits").And.Message.Contains("(Security:KeyFolder)"));
    }

    private static ulong NextMeeting(NodeId id, int difficulty, ulong from)
    {
        var nonce = from;
        while (!IdWork.Meets(id, nonce, difficulty))
        {
            nonce++;
        }
        return nonce;
    }
}
