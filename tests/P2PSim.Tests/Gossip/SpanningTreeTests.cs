using P2PSim.Gossip;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Gossip;

/// <summary>
/// The spanning tree of <c>Gossip:Routing=spanning</c> for PeerAt(5) alone: root election by smallest endpoint, the
/// parent nearest the root, poison reverse, a lost link, and adverts held back for the advert interval.
/// </summary>
[TestFixture]
public sealed class SpanningTreeTests
{
    private static readonly NodeEndpoint Self = PeerAt(5);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private sealed class Bench
    {
        private int _next;

        public Bench() => Tree = new SpanningTree(Self, Part.Outbox, Interval);

        public PartBench Part { get; } = new();

        public SpanningTree Tree { get; }

        public Dictionary<NodeEndpoint, ConnectionId> Links { get; } = new();

        public void Up(params int[] peers)
        {
            foreach (var peer in peers)
            {
                var connection = new ConnectionId(1000 + _next++);
                Links[PeerAt(peer)] = connection;
                Tree.OnLinkUp(PeerAt(peer), connection);
            }
        }

        public bool Advert(int from, int root, ushort distance, bool parentIsYou = false) =>
            Tree.OnAdvert(PeerAt(from), Links[PeerAt(from)], new TreeAdvert(PeerAt(root), distance, parentIsYou));

        /// <summary>The adverts sent since the last call, by neighbour.</summary>
        public Dictionary<NodeEndpoint, TreeAdvert> Sent()
        {
            var byConnection = Links.ToDictionary(l => l.Value, l => l.Key);
            return Part.Take().SendsOf<TreeAdvert>().ToDictionary(s => byConnection[s.Connection], s => (TreeAdvert)s.Message);
        }
    }

    [Test]
    public void Alone_a_peer_is_its_own_root_and_says_so_on_every_new_link()
    {
        var bench = new Bench();
        bench.Up(6, 7);

        Assert.Multiple(() =>
        {
            Assert.That(bench.Tree.Root, Is.EqualTo(Self));
            Assert.That(bench.Tree.Parent, Is.Null);
            Assert.That(bench.Sent().Values, Is.EqualTo(new[] { new TreeAdvert(Self, 0, false), new TreeAdvert(Self, 0, false) }));
        });
    }

    [Test]
    public void A_peer_follows_the_smallest_root_through_the_nearest_neighbour_and_tells_it_that_it_is_its_parent()
    {
        var bench = new Bench();
        bench.Up(6, 7, 8);
        bench.Sent();

        bench.Advert(6, root: 1, distance: 3);
        bench.Advert(7, root: 1, distance: 2);
        bench.Advert(8, root: 2, distance: 0); // a nearer root, but a larger one
        bench.Tree.Flush(T0);

        Assert.Multiple(() =>
        {
            Assert.That((bench.Tree.Root, bench.Tree.Distance, bench.Tree.Parent), Is.EqualTo((PeerAt(1), (ushort)3, (NodeEndpoint?)PeerAt(7))));
            var sent = bench.Sent();
            Assert.That(sent[PeerAt(7)], Is.EqualTo(new TreeAdvert(PeerAt(1), 3, ParentIsYou: true)));
            Assert.That(sent[PeerAt(6)], Is.EqualTo(new TreeAdvert(PeerAt(1), 3, ParentIsYou: false)));
            Assert.That(bench.Tree.IsTreeLink(PeerAt(7)), Is.True);
            Assert.That(bench.Tree.IsTreeLink(PeerAt(6)), Is.False);
        });
    }

    [Test]
    public void Equally_near_neighbours_are_told_apart_by_endpoint_and_a_child_is_a_tree_link()
    {
        var bench = new Bench();
        bench.Up(8, 6, 9);
        bench.Advert(8, root: 1, distance: 2);
        bench.Advert(6, root: 1, distance: 2);
        bench.Advert(9, root: 1, distance: 4, parentIsYou: true);

        Assert.Multiple(() =>
        {
            Assert.That(bench.Tree.Parent, Is.EqualTo(PeerAt(6)));
            Assert.That(bench.Tree.IsTreeLink(PeerAt(9)), Is.True, "PeerAt(9) follows this peer");
            Assert.That(bench.Tree.IsTreeLink(PeerAt(8)), Is.False);
        });
    }

    [Test]
    public void A_child_is_never_taken_as_parent_and_a_lost_parent_link_moves_the_peer_to_the_next_best_path()
    {
        var bench = new Bench();
        bench.Up(6, 7);
        bench.Advert(6, root: 1, distance: 1);
        bench.Advert(7, root: 1, distance: 2, parentIsYou: true); // its path runs through this peer

        bench.Tree.OnLinkDown(PeerAt(6));

        Assert.Multiple(() =>
        {
            Assert.That(bench.Tree.Root, Is.EqualTo(Self), "the only other path leads back through this peer (poison reverse)");
            Assert.That(bench.Tree.Parent, Is.Null);
        });
    }

    [Test]
    public void Paths_at_the_unreachable_distance_do_not_count()
    {
        var bench = new Bench();
        bench.Up(6);

        bench.Advert(6, root: 1, distance: SpanningTree.Unreachable - 1);

        Assert.That(bench.Tree.Root, Is.EqualTo(Self));
    }

    [Test]
    public void After_a_round_of_adverts_the_next_change_waits_for_the_interval_and_only_the_latest_state_goes_out()
    {
        var bench = new Bench();
        bench.Up(6, 7);
        bench.Sent();
        bench.Advert(6, root: 1, distance: 1);
        bench.Tree.Flush(T0);
        bench.Sent();

        bench.Advert(6, root: 1, distance: 5);
        bench.Advert(7, root: 1, distance: 3);
        bench.Tree.Flush(T0 + TimeSpan.FromMilliseconds(9));
        var early = bench.Sent();
        var due = bench.Tree.NextDeadline;
        bench.Tree.Flush(T0 + Interval);
        var later = bench.Sent();

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.Empty);
            Assert.That(due, Is.EqualTo(T0 + Interval));
            Assert.That(later[PeerAt(7)], Is.EqualTo(new TreeAdvert(PeerAt(1), 4, ParentIsYou: true)), "one advert with the latest state");
            Assert.That(later[PeerAt(6)], Is.EqualTo(new TreeAdvert(PeerAt(1), 4, ParentIsYou: false)));
            Assert.That(bench.Tree.NextDeadline, Is.Null);
        });
    }
}
