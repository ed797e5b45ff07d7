using System.Text;
using P2PSim.Security;

namespace P2PSim.Tests.Security;

public class NodeKeyTests
{
    // RFC 8032, section 7.1, TEST 1 (an empty message) and TEST 2 (the one byte 0x72).
    private const string Seed1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private const string Public1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    private const string Signature1 = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    [Test]
    public void A_key_from_the_RFC_8032_seed_has_its_public_key_and_signature()
    {
        using var key = NodeKey.FromSeed(Convert.FromHexString(Seed1));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(key.Id.ToString(), Is.EqualTo(Public1));
            Assert.That(Convert.ToHexStringLower(key.Sign([])), Is.EqualTo(Signature1));
            Assert.That(key.Id.Verifies([], Convert.FromHexString(Signature1)), Is.True);
        }
    }

    [Test]
    public void A_signature_does_not_verify_for_other_data_another_key_or_a_flipped_bit()
    {
        using var key = NodeKey.Generate();
        using var other = NodeKey.Generate();
        var data = "hello"u8.ToArray();
        var signature = key.Sign(data);
        var flipped = (byte[])signature.Clone();
        flipped[10] ^= 1;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(key.Id.Verifies(data, signature), Is.True);
            Assert.That(key.Id.Verifies("hellp"u8, signature), Is.False);
            Assert.That(other.Id.Verifies(data, signature), Is.False);
            Assert.That(key.Id.Verifies(data, flipped), Is.False);
            Assert.That(key.Id.Verifies(data, signature.AsSpan(0, 63)), Is.False);
            Assert.That(other.Id, Is.Not.EqualTo(key.Id));
        }
    }

    [Test]
    public void Derived_keys_depend_on_run_seed_role_and_index_only()
    {
        using var a = NodeKey.Derived(42, "peer", 3);
        using var b = NodeKey.Derived(42, "peer", 3);
        using var c = NodeKey.Derived(42, "peer", 4);
        using var d = NodeKey.Derived(42, "seed", 3);
        using var e = NodeKey.Derived(43, "peer", 3);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(b.Id, Is.EqualTo(a.Id));
            Assert.That(new[] { c.Id, d.Id, e.Id }, Has.None.EqualTo(a.Id));
        }
    }

    [Test]
    public void An_id_prints_and_parses_as_64_hex_digits()
    {
        using var key = NodeKey.Generate();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(NodeId.TryParse(key.Id.ToString(), out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(key.Id));
            Assert.That(key.Id.Short, Is.EqualTo(key.Id.ToString()[..10]));
            Assert.That(NodeId.TryParse("xyz", out _), Is.False);
            Assert.That(NodeId.TryParse(new string('g', 64), out _), Is.False);
        }
    }
}

public class KeyFolderTests
{
    private string _folder = "";

    [SetUp]
    public void MakeFolder() => _folder = Directory.CreateTempSubdirectory("p2psim-keys-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void A_node_gets_the_same_id_from_its_key_file_after_a_restart()
    {
        var folder = new KeyFolder(Path.Combine(_folder, "keys"));
        using var first = folder.LoadOrCreate("peer", 3);
        using var again = folder.LoadOrCreate("peer", 3);
        using var other = folder.LoadOrCreate("peer", 4);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(again.Id, Is.EqualTo(first.Id));
            Assert.That(other.Id, Is.Not.EqualTo(first.Id));
            Assert.That(File.ReadAllText(folder.PathOf("peer", 3)).Trim(), Has.Length.EqualTo(64));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(folder.PathOf("peer", 3)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        }
    }

    [Test]
    public void A_damaged_key_file_stops_with_a_message_naming_the_file()
    {
        var folder = new KeyFolder(_folder);
        File.WriteAllText(folder.PathOf("seed", 0), "not a key\n", Encoding.ASCII);
        var ex = Assert.Throws<KeyFileException>(() => folder.LoadOrCreate("seed", 0));
        Assert.That(ex!.Message, Does.Contain(folder.PathOf("seed", 0)).And.Contain("64 hex digits"));
    }
}
