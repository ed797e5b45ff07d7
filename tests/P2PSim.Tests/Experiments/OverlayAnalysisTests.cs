using P2PSim.Experiments;

namespace P2PSim.Tests.Experiments;

[TestFixture]
public sealed class OverlayAnalysisTests
{
    [Test]
    public void A_path_is_one_component_with_degrees_counted_per_peer()
    {
        int[][] path = [[1], [0, 2], [1, 3], [2]];

        var result = OverlayAnalysis.Analyse(path);

        Assert.That(result.Connected, Is.True);
        Assert.That(result.Components, Is.EqualTo(1));
        Assert.That((result.DegreeMin, result.DegreeMean, result.DegreeMax), Is.EqualTo((1, 1.5, 2)));
        Assert.That(result.Edges, Is.EqualTo(3));
    }

    [Test]
    public void An_edge_listed_by_one_end_only_still_joins_the_two_peers()
    {
        int[][] oneSided = [[1], [], [3], []];

        var result = OverlayAnalysis.Analyse(oneSided);

        Assert.That(result.Components, Is.EqualTo(2));
        Assert.That(result.LargestComponent, Is.EqualTo(2));
        Assert.That(result.Connected, Is.False);
        Assert.That(result.Edges, Is.EqualTo(2));
        Assert.That(result.DegreeMin, Is.Zero);
    }

    [Test]
    public void The_fingerprint_depends_on_the_edges_not_on_the_order_they_are_listed()
    {
        int[][] a = [[1, 2], [0], [0]];
        int[][] b = [[2, 1], [0], [0]];
        int[][] c = [[1], [0, 2], [1]];

        Assert.That(OverlayAnalysis.Analyse(a).Fingerprint, Is.EqualTo(OverlayAnalysis.Analyse(b).Fingerprint));
        Assert.That(OverlayAnalysis.Analyse(a).Fingerprint, Is.Not.EqualTo(OverlayAnalysis.Analyse(c).Fingerprint));
    }

    [Test]
    public void The_largest_component_is_counted_in_peers()
    {
        int[][] split = [[1], [0, 2], [1], [4], [3], []];

        var result = OverlayAnalysis.Analyse(split);

        Assert.That((result.Components, result.LargestComponent), Is.EqualTo((3, 3)));
    }

    [Test]
    public void No_peers_is_an_empty_connected_overlay()
    {
        var result = OverlayAnalysis.Analyse([]);

        Assert.That(result.Connected, Is.True);
        Assert.That(result.Edges, Is.Zero);
    }
}
