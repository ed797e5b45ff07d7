using P2PSim.Liveness;

namespace P2PSim.Tests.Liveness;

public class LivenessRulesTests
{
    [Test]
    public void Answered_round_is_alive_and_leaves_the_count_alone()
    {
        var missed = 0;
        var fresh = LivenessRules.Round(ref missed, previousUnanswered: false, limit: 3);
        var afterMisses = 2;
        var stillAlive = LivenessRules.Round(ref afterMisses, previousUnanswered: false, limit: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fresh, Is.EqualTo(LivenessVerdict.Alive));
            Assert.That(missed, Is.Zero);
            Assert.That(stillAlive, Is.EqualTo(LivenessVerdict.Alive));
            Assert.That(afterMisses, Is.EqualTo(2), "the reply handler resets the count, not the round");
        }
    }

    [Test]
    public void Unanswered_rounds_count_misses()
    {
        var missed = 0;

        var first = LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3);
        var afterFirst = missed;
        var second = LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(LivenessVerdict.Missed));
            Assert.That(afterFirst, Is.EqualTo(1));
            Assert.That(second, Is.EqualTo(LivenessVerdict.Missed));
            Assert.That(missed, Is.EqualTo(2));
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(5)]
    public void Dead_exactly_when_the_limit_is_reached(int limit)
    {
        var missed = 0;
        var verdicts = new List<LivenessVerdict>();

        for (var round = 0; round < limit; round++)
        {
            verdicts.Add(LivenessRules.Round(ref missed, previousUnanswered: true, limit));
        }

        var expected = Enumerable.Repeat(LivenessVerdict.Missed, limit - 1).Append(LivenessVerdict.Dead);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts, Is.EqualTo(expected));
            Assert.That(missed, Is.EqualTo(limit));
        }
    }

    [Test]
    public void Unreachable_rounds_count_like_unanswered_ones()
    {
        var missed = 0;

        var verdicts = new[]
        {
            LivenessRules.Unreachable(ref missed, limit: 3),
            LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3),
            LivenessRules.Unreachable(ref missed, limit: 3),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts, Is.EqualTo(new[] { LivenessVerdict.Missed, LivenessVerdict.Missed, LivenessVerdict.Dead }));
            Assert.That(missed, Is.EqualTo(3));
        }
    }

    [Test]
    public void A_reply_in_between_starts_the_count_again()
    {
        var missed = 0;
        LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3);
        LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3);
        missed = 0; // the Pong arrived: the peer resets the count

        var verdicts = new[]
        {
            LivenessRules.Round(ref missed, previousUnanswered: false, limit: 3),
            LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3),
            LivenessRules.Round(ref missed, previousUnanswered: true, limit: 3),
        };

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts, Is.EqualTo(new[] { LivenessVerdict.Alive, LivenessVerdict.Missed, LivenessVerdict.Missed }));
            Assert.That(missed, Is.EqualTo(2));
        }
    }

    [Test]
    public void Answered_rounds_stay_alive_forever()
    {
        var missed = 0;

        var verdicts = Enumerable.Range(0, 100).Select(_ => LivenessRules.Round(ref missed, previousUnanswered: false, limit: 1)).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(verdicts, Is.All.EqualTo(LivenessVerdict.Alive));
            Assert.That(missed, Is.Zero);
        }
    }
}
