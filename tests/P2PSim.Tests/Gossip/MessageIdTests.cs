using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using P2PSim.Gossip;

namespace P2PSim.Tests.Gossip;

public class MessageIdTests
{
    [TestCase("")]
    [TestCase("1700000000123:127.0.0.1:5001:7")]
    [TestCase("1700000000123:2001:db8::17:6000:10")]
    [TestCase("héllo wörld € 日本語 🎉")]
    public void Id_is_the_sha256_of_the_utf8_text(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));

        var id = MessageId.Of(text);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(id, Is.EqualTo(FromHash(hash)));
            Assert.That(id.ToString(), Is.EqualTo(Convert.ToHexStringLower(hash)));
        }
    }

    [Test]
    public void Id_matches_published_sha256_vectors()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(MessageId.Of("abc").ToString(), Is.EqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
            Assert.That(MessageId.Of(string.Empty).ToString(), Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        }
    }

    [TestCase(511)]
    [TestCase(512)]
    [TestCase(513)]
    [TestCase(4096)]
    [TestCase(100_000)]
    public void Long_texts_hash_correctly(int length)
    {
        var text = string.Concat(Enumerable.Range(0, length).Select(i => (char)('a' + (i % 26))));

        Assert.That(MessageId.Of(text), Is.EqualTo(FromHash(SHA256.HashData(Encoding.UTF8.GetBytes(text)))));
    }

    [Test]
    public void Multibyte_text_over_512_bytes_hashes_all_its_bytes()
    {
        var text = new string('é', 300); // 600 UTF-8 bytes in 300 chars

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Encoding.UTF8.GetByteCount(text), Is.EqualTo(600));
            Assert.That(MessageId.Of(text), Is.EqualTo(FromHash(SHA256.HashData(Encoding.UTF8.GetBytes(text)))));
            Assert.That(MessageId.Of(text), Is.Not.EqualTo(MessageId.Of(new string('é', 299))));
        }
    }

    [Test]
    public void Same_text_same_id_other_text_other_id()
    {
        var a = MessageId.Of("1:127.0.0.1:5001:1");
        var again = MessageId.Of(string.Concat("1:127.0.0.1:", "5001:1"));
        var b = MessageId.Of("1:127.0.0.1:5001:2");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(again, Is.EqualTo(a));
            Assert.That(again.GetHashCode(), Is.EqualTo(a.GetHashCode()));
            Assert.That(b, Is.Not.EqualTo(a));
        }
    }

    [Test]
    public void Short_is_the_first_twelve_hex_digits()
    {
        Assert.That(MessageId.Of("abc").Short, Is.EqualTo("ba7816bf8f01"));
    }

    private static MessageId FromHash(byte[] hash) => new(
        BinaryPrimitives.ReadUInt64BigEndian(hash),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(8)),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(16)),
        BinaryPrimitives.ReadUInt64BigEndian(hash.AsSpan(24)));
}
