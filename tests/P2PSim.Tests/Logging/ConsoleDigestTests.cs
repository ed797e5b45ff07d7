using Microsoft.Extensions.Logging;
using P2PSim.Logging;

namespace P2PSim.Tests.Logging;

[TestFixture]
public sealed class ConsoleDigestTests
{
    [TestCase("LogInformationGossipReceived", "gossip received")]
    [TestCase("LogDebugDuplicateDropped", "duplicate dropped")]
    [TestCase("LogInformationNeighbourConnected", "neighbour connected")]
    [TestCase("Listening", "listening")]
    [TestCase(null, "other")]
    public void The_kind_of_a_line_is_its_event_name_in_words(string? name, string kind) =>
        Assert.That(ConsoleDigest.KindOf(new EventId(1, name)), Is.EqualTo(kind));

    [Test]
    public void One_line_counts_each_kind_most_frequent_first_then_starts_afresh()
    {
        var digest = new ConsoleDigest();
        Assert.That(digest.TakeLine(), Is.Null, "nothing happened");
        for (var i = 0; i < 3; i++)
        {
            digest.Count(new EventId(1, "LogInformationGossipReceived"));
        }
        digest.Count(new EventId(2, "LogInformationGossipOriginated"));
        Assert.That(digest.TakeLine(), Is.EqualTo("4 events: 3 gossip received, 1 gossip originated"));
        Assert.That(digest.TakeLine(), Is.Null);
        digest.Count(new EventId(2, "LogInformationGossipOriginated"));
        Assert.That(digest.TakeLine(), Is.EqualTo("1 event: 1 gossip originated"));
    }
}
