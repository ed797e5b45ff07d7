using System.Globalization;

namespace P2PSim.Experiments;

/// <summary>
/// Degree, connectivity and a fingerprint of an overlay, computed from each peer's list of
/// connected neighbours (by peer index). Pure. The graph searched is undirected: an edge
/// counts if either end lists it.
/// </summary>
public static class OverlayAnalysis
{
    /// <param name="LargestComponent">Peers in the largest connected component.</param>
    public sealed record Result(int DegreeMin, double DegreeMean, int DegreeMax, int Edges, int Components, string Fingerprint, int LargestComponent)
    {
        /// <summary>One component (an empty overlay counts as connected).</summary>
        public bool Connected => Components <= 1;
    }

    /// <param name="neighbours">For each peer, the indices of the peers it has a connection with.</param>
    public static Result Analyse(IReadOnlyList<IReadOnlyList<int>> neighbours)
    {
        ArgumentNullException.ThrowIfNull(neighbours);
        var n = neighbours.Count;
        if (n == 0)
        {
            return new Result(0, 0, 0, 0, 0, Fingerprint([]), 0);
        }
        var degrees = new int[n];
        var keys = new List<long>();
        for (var i = 0; i < n; i++)
        {
            var list = neighbours[i];
            degrees[i] = list.Count;
            foreach (var j in list)
            {
                if (j < 0 || j >= n)
                {
                    throw new ArgumentException($"Peer {i} lists neighbour {j}, which is not a peer index.", nameof(neighbours));
                }
                if (j != i)
                {
                    keys.Add(((long)Math.Min(i, j) * n) + Math.Max(i, j));
                }
            }
        }
        keys.Sort();
        var edges = new List<long>(keys.Count / 2);
        foreach (var key in keys)
        {
            if (edges.Count == 0 || edges[^1] != key)
            {
                edges.Add(key);
            }
        }
        var (components, largest) = CountComponents(n, edges);
        return new Result(
            degrees.Min(),
            Statistics.Mean(degrees) ?? 0,
            degrees.Max(),
            edges.Count,
            components,
            Fingerprint(edges),
            largest);
    }

    /// <summary>Element d: the peers with d neighbours (as <see cref="Analyse"/> counts degrees); empty for no peers.</summary>
    public static int[] DegreeHistogram(IReadOnlyList<IReadOnlyList<int>> neighbours)
    {
        ArgumentNullException.ThrowIfNull(neighbours);
        if (neighbours.Count == 0)
        {
            return [];
        }
        var histogram = new int[neighbours.Max(n => n.Count) + 1];
        foreach (var list in neighbours)
        {
            histogram[list.Count]++;
        }
        return histogram;
    }

    private static (int Components, int Largest) CountComponents(int n, List<long> edges)
    {
        // Compressed adjacency of the undirected graph, then breadth-first search from each unvisited peer.
        var start = new int[n + 1];
        foreach (var key in edges)
        {
            start[(int)(key / n) + 1]++;
            start[(int)(key % n) + 1]++;
        }
        for (var i = 0; i < n; i++)
        {
            start[i + 1] += start[i];
        }
        var adjacent = new int[start[n]];
        var fill = start[..n];
        foreach (var key in edges)
        {
            int a = (int)(key / n), b = (int)(key % n);
            adjacent[fill[a]++] = b;
            adjacent[fill[b]++] = a;
        }
        var seen = new bool[n];
        var queue = new Queue<int>();
        var components = 0;
        var largest = 0;
        for (var root = 0; root < n; root++)
        {
            if (seen[root])
            {
                continue;
            }
            components++;
            seen[root] = true;
            queue.Enqueue(root);
            var size = 0;
            while (queue.TryDequeue(out var v))
            {
                size++;
                for (var k = start[v]; k < start[v + 1]; k++)
                {
                    var w = adjacent[k];
                    if (!seen[w])
                    {
                        seen[w] = true;
                        queue.Enqueue(w);
                    }
                }
            }
            largest = Math.Max(largest, size);
        }
        return (components, largest);
    }

    /// <summary>FNV-1a (64-bit) over the sorted edge keys, as 16 hex digits.</summary>
    private static string Fingerprint(List<long> edges)
    {
        var hash = 14695981039346656037UL;
        foreach (var key in edges)
        {
            var k = (ulong)key;
            for (var b = 0; b < 8; b++)
            {
                hash ^= (k >> (8 * b)) & 0xFF;
                hash *= 1099511628211UL;
            }
        }
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}
