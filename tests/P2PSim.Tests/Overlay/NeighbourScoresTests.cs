using P2PSim.Overlay;
using P2PSim.Protocol;

namespace P2PSim.Tests.Overlay;

/// <summary>
/// The verdicts of neighbour scoring (issue 11): a neighbour this peer dialed that delivered nothing over a whole window is
/// replaced while the others delivered enough new messages, or while this peer published and heard nothing (eclipsed);
/// a quiet window, a neighbour that delivered copies only, a neighbour linked mid-window and one that dialed this peer are
/// never replaced.
/// </summary>
[TestFixture]
public sealed class NeighbourScoresTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private static readonly NodeEndpoint Honest = NodeEndpoint.Loopback(7001);
    private static readonly NodeEndpoint Silent = NodeEndpoint.Loopback(7002);
    private static readonly NodeEndpoint Slow = NodeEndpoint.Loopback(7003);

    private static NeighbourScores Linked(params NodeEndpoint[] neighbours)
    {
        var scores = new NeighbourScores(new NeighbourScoring(Window, MinFirstDeliveries: 3, PoorChoiceFor: TimeSpan.FromMinutes(1), MaxPerAddress: 0));
        scores.Begin(T0);
        foreach (var neighbour in neighbours)
        {
            scores.LinkUp(neighbour, T0);
        }
        return scores;
    }

    private static List<NodeEndpoint> Judge(NeighbourScores scores, DateTimeOffset at, Func<NodeEndpoint, bool>? dialed = null) =>
        scores.Judge(at, dialed ?? (_ => true)).Select(v => v.Neighbour).ToList();

    [Test]
    public void A_neighbour_that_delivered_nothing_while_the_others_delivered_enough_is_replaced_at_the_end_of_the_window()
    {
        var scores = Linked(Honest, Silent, Slow);
        for (var i = 0; i < 3; i++)
        {
            scores.First(Honest);
            scores.Copy(Slow); // always second: a copy counts as a delivery
        }
        Assert.That(Judge(scores, T0 + Window - TimeSpan.FromMilliseconds(1)), Is.Empty, "not before the window ends");
        Assert.That(Judge(scores, T0 + Window), Is.EqualTo(new[] { Silent }));
    }

    [Test]
    public void Too_few_new_messages_from_the_others_replace_nobody()
    {
        var scores = Linked(Honest, Silent);
        scores.First(Honest);
        scores.First(Honest);
        Assert.That(Judge(scores, T0 + Window), Is.Empty, "2 new messages, 3 needed");
    }

    [Test]
    public void A_quiet_window_replaces_nobody()
    {
        var scores = Linked(Honest, Silent, Slow);
        Assert.That(Judge(scores, T0 + Window), Is.Empty);
        Assert.That(Judge(scores, T0 + (2 * Window)), Is.Empty);
    }

    [Test]
    public void A_peer_that_published_and_heard_nothing_replaces_every_silent_neighbour_it_dialed()
    {
        var scores = Linked(Silent, Slow, Honest);
        scores.Originated();
        Assert.That(Judge(scores, T0 + Window, dialed: n => n != Honest), Is.EquivalentTo(new[] { Silent, Slow }), "the one that dialed this peer is not judged");
    }

    [Test]
    public void A_peer_that_published_and_heard_from_someone_is_not_eclipsed()
    {
        var scores = Linked(Honest, Silent);
        scores.Originated();
        scores.First(Honest);
        Assert.That(Judge(scores, T0 + Window), Is.Empty, "1 new message from another neighbour: too few for the first rule, and not eclipsed");
    }

    [Test]
    public void A_neighbour_linked_during_the_window_is_judged_only_after_a_whole_window()
    {
        var scores = Linked(Honest);
        scores.LinkUp(Silent, T0 + TimeSpan.FromSeconds(1));
        for (var i = 0; i < 3; i++)
        {
            scores.First(Honest);
        }
        Assert.That(Judge(scores, T0 + Window), Is.Empty);
        for (var i = 0; i < 3; i++)
        {
            scores.First(Honest);
        }
        Assert.That(Judge(scores, T0 + (2 * Window)), Is.EqualTo(new[] { Silent }), "a whole window later");
    }

    [Test]
    public void Counts_start_again_with_every_window()
    {
        var scores = Linked(Honest, Silent);
        for (var i = 0; i < 3; i++)
        {
            scores.First(Honest);
            scores.First(Silent);
        }
        Assert.That(Judge(scores, T0 + Window), Is.Empty);
        for (var i = 0; i < 3; i++)
        {
            scores.First(Honest);
        }
        Assert.That(Judge(scores, T0 + (2 * Window)), Is.EqualTo(new[] { Silent }), "what it delivered in the first window does not carry over");
    }
}
