using P2PSim.LiveView;
using P2PSim.Nodes;
using P2PSim.Protocol;

namespace P2PSim.Tests.LiveView;

/// <summary>How the view folds the peers' tree-link reports into the links it draws.</summary>
[TestFixture]
public sealed class LiveViewStateTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddSeconds(1);
    private static readonly NodeEndpoint A = NodeEndpoint.Loopback(6000);
    private static readonly NodeEndpoint B = NodeEndpoint.Loopback(6001);

    private static void Apply(LiveViewState state, NodeEndpoint node, NodeEvent e) => state.Apply(new LiveViewUpdate(node, NodeRole.Peer, e));

    private static LinkView Link(LiveViewState state) => state.Snapshot().Links.Single();

    private static LiveViewState ConnectedPair()
    {
        var state = new LiveViewState("tree");
        Apply(state, A, new NeighbourConnected(Now, B, Inbound: false, Reconnected: false, Neighbours: 1));
        Apply(state, B, new NeighbourConnected(Now, A, Inbound: true, Reconnected: false, Neighbours: 1));
        return state;
    }

    [Test]
    public void A_link_is_a_tree_link_while_either_end_pushes_over_it_and_lazy_once_both_announce_only()
    {
        var state = ConnectedPair();
        Assert.That(Link(state).Tree, Is.Null, "nothing reported yet");

        Apply(state, A, new TreeLinkChanged(Now, B, Eager: true));
        Apply(state, B, new TreeLinkChanged(Now, A, Eager: false));
        Assert.That(Link(state).Tree, Is.EqualTo("eager"), "one end still pushes");

        state.TakeChanges();
        Apply(state, A, new TreeLinkChanged(Now, B, Eager: false));
        Assert.Multiple(() =>
        {
            Assert.That(Link(state).Tree, Is.EqualTo("lazy"));
            Assert.That(state.TakeChanges()?.Changes.OfType<LinkChange>().Single().Link, Is.EqualTo(new LinkView("127.0.0.1:6000", "127.0.0.1:6001", "up", "lazy")),
                "the page hears of the change");
        });
    }

    [Test]
    public void A_lost_link_is_drawn_only_as_lost_and_its_tree_state_comes_back_with_it()
    {
        var state = ConnectedPair();
        Apply(state, A, new TreeLinkChanged(Now, B, Eager: true));
        Apply(state, A, new NeighbourConnectionLost(Now, B, "reset"));
        Apply(state, B, new NeighbourConnectionLost(Now, A, "reset"));
        Assert.That(Link(state), Is.EqualTo(new LinkView("127.0.0.1:6000", "127.0.0.1:6001", "lost")));

        Apply(state, A, new NeighbourConnected(Now, B, Inbound: false, Reconnected: true, Neighbours: 1));
        Assert.That(Link(state).Tree, Is.EqualTo("eager"));
    }

    [Test]
    public void A_link_that_is_gone_forgets_its_tree_state()
    {
        var state = ConnectedPair();
        Apply(state, A, new TreeLinkChanged(Now, B, Eager: true));
        Apply(state, A, new NeighbourLeft(Now, B, Neighbours: 0));
        Apply(state, B, new NeighbourLeft(Now, A, Neighbours: 0));
        Assert.That(state.Snapshot().Links, Is.Empty);

        // Back again: nothing is known of its tree state until a peer reports it.
        Apply(state, A, new NeighbourConnected(Now, B, Inbound: false, Reconnected: false, Neighbours: 1));
        Assert.That(Link(state).Tree, Is.Null);
    }
}
