using ScottPlot;

namespace P2PSim.Experiments.Reports;

/// <summary>
/// A picture of the overlay as it stood when the peers had joined: every peer a dot, every neighbour link a line,
/// placed by a force-directed layout (Fruchterman and Reingold, 1991: links pull, peers push apart) that starts from
/// positions drawn with the run seed, so the same run gives the same picture. Runs above <see cref="MaxPeers"/> are
/// not drawn: the picture would be a grey disc, and its SVG megabytes.
/// </summary>
public static class OverlayPicture
{
    public const string Title = "The overlay when the peers had joined";

    /// <summary>The largest overlay drawn (about 4 links a peer: 8,000 lines, about 1.5 MB of SVG).</summary>
    public const int MaxPeers = 2000;

    public static Chart Draw(ExperimentReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.OverlayGraph is not { } graph)
        {
            return new Chart(Title, null, "The overlay's links are not in the JSON report; the picture is drawn when the experiment runs.");
        }
        var n = graph.Peers.Length;
        if (n == 0)
        {
            return new Chart(Title, null, "No peer had joined.");
        }
        if (n > MaxPeers)
        {
            return new Chart(Title, null,
                $"Not drawn: {n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} peers is more than the {MaxPeers.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} a picture can show; the degree histogram above describes it.");
        }
        var at = Layout(graph.Neighbours, report.RunSeed);
        var plot = ReportCharts.NewPlot("", "");
        var edgeColor = Colors.Gray.WithAlpha(n > 500 ? 0.25 : 0.5);
        foreach (var (a, b) in Edges(graph.Neighbours))
        {
            var line = plot.Add.Line(at[a].X, at[a].Y, at[b].X, at[b].Y);
            line.LineColor = edgeColor;
            line.LineWidth = 1;
            line.MarkerSize = 0;
        }
        var peers = plot.Add.Markers(at.Select(static p => p.X).ToArray(), at.Select(static p => p.Y).ToArray());
        peers.MarkerSize = n > 500 ? 3 : 6;
        peers.Color = Colors.SteelBlue;
        plot.HideAxesAndGrid();
        return new Chart(Title, plot.GetSvgXml(ReportCharts.Width, ReportCharts.Width * 3 / 4),
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{n:N0} peers, {report.Overlay.Edges:N0} links, placed by a force-directed layout (links pull, peers push apart): peers in the middle are not more central than others."));
    }

    /// <summary>Every link once (a link either end lists), as (lower position, higher position).</summary>
    internal static IEnumerable<(int A, int B)> Edges(int[][] neighbours)
    {
        var seen = new HashSet<(int, int)>();
        for (var a = 0; a < neighbours.Length; a++)
        {
            foreach (var b in neighbours[a])
            {
                var edge = (Math.Min(a, b), Math.Max(a, b));
                if (a != b && seen.Add(edge))
                {
                    yield return edge;
                }
            }
        }
    }

    /// <summary>
    /// Positions for the peers (by position in <paramref name="neighbours"/>): random ones from <paramref name="seed"/>,
    /// then rounds of forces. Repulsion is counted only between peers in neighbouring cells of a grid (the grid variant
    /// of the algorithm), so a round costs about the number of peers, not its square. A weak pull to the centre keeps
    /// separate components in view.
    /// </summary>
    internal static (double X, double Y)[] Layout(int[][] neighbours, int seed)
    {
        var n = neighbours.Length;
        var random = new Random(seed);
        var side = Math.Sqrt(n) * 2;
        const double k = 1; // the ideal link length; the square holds n peers k apart
        var x = new double[n];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = random.NextDouble() * side;
            y[i] = random.NextDouble() * side;
        }
        var edges = Edges(neighbours).ToArray();
        var rounds = n <= 500 ? 300 : 150;
        var dx = new double[n];
        var dy = new double[n];
        var cells = new Dictionary<(int, int), List<int>>();
        for (var round = 0; round < rounds; round++)
        {
            Array.Clear(dx);
            Array.Clear(dy);
            cells.Clear();
            for (var i = 0; i < n; i++)
            {
                var cell = ((int)Math.Floor(x[i] / (2 * k)), (int)Math.Floor(y[i] / (2 * k)));
                if (!cells.TryGetValue(cell, out var members))
                {
                    cells[cell] = members = [];
                }
                members.Add(i);
            }
            for (var i = 0; i < n; i++)
            {
                var (cx, cy) = ((int)Math.Floor(x[i] / (2 * k)), (int)Math.Floor(y[i] / (2 * k)));
                for (var gx = cx - 1; gx <= cx + 1; gx++)
                {
                    for (var gy = cy - 1; gy <= cy + 1; gy++)
                    {
                        if (!cells.TryGetValue((gx, gy), out var members))
                        {
                            continue;
                        }
                        foreach (var j in members)
                        {
                            if (j == i)
                            {
                                continue;
                            }
                            var (ex, ey) = (x[i] - x[j], y[i] - y[j]);
                            var d = Math.Max(Math.Sqrt((ex * ex) + (ey * ey)), 0.01);
                            if (d < 2 * k)
                            {
                                var push = k * k / d;
                                dx[i] += ex / d * push;
                                dy[i] += ey / d * push;
                            }
                        }
                    }
                }
            }
            foreach (var (a, b) in edges)
            {
                var (ex, ey) = (x[a] - x[b], y[a] - y[b]);
                var d = Math.Max(Math.Sqrt((ex * ex) + (ey * ey)), 0.01);
                var pull = d * d / k;
                dx[a] -= ex / d * pull;
                dy[a] -= ey / d * pull;
                dx[b] += ex / d * pull;
                dy[b] += ey / d * pull;
            }
            var temperature = side / 10 * (1 - (round / (double)rounds)) + 0.01;
            for (var i = 0; i < n; i++)
            {
                dx[i] -= 0.02 * (x[i] - (side / 2));
                dy[i] -= 0.02 * (y[i] - (side / 2));
                var length = Math.Sqrt((dx[i] * dx[i]) + (dy[i] * dy[i]));
                if (length > 0)
                {
                    var step = Math.Min(length, temperature);
                    x[i] += dx[i] / length * step;
                    y[i] += dy[i] / length * step;
                }
            }
        }
        return [.. Enumerable.Range(0, n).Select(i => (x[i], y[i]))];
    }
}
