using System.Net;
using Microsoft.Extensions.Logging;
using P2PSim.Gossip;
using P2PSim.Logging;
using P2PSim.Nodes;
using P2PSim.Protocol;
using P2PSim.Tests.TestSupport;
using static P2PSim.Tests.Nodes.NodeTestKit;

namespace P2PSim.Tests.Nodes;

/// <summary>The log lines of the fault-tolerance events: one line each, at the right level, naming what matters.</summary>
[TestFixture]
public sealed class FaultToleranceLogTests
{
    private static readonly DeadNode Report = new(PeerAt(3), 1_700_000_000_123, PeerAt(1));

    private static IEnumerable<TestCaseData> Lines()
    {
        yield return Case(new DeadNodeChecking(T0, Report, "127.0.0.1:50000", false), LogLevel.Information,
            "Received \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" from 127.0.0.1:50000: checking 127.0.0.1:10003 before removing it");
        yield return Case(new DeadNodeChecking(T0, Report, "127.0.0.1:50000", true), LogLevel.Information, "already checking 127.0.0.1:10003");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", true, 4, "connection refused"), LogLevel.Warning,
            "Confirmed \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" (reported from 127.0.0.1:50000): 127.0.0.1:10003 does not answer (connection refused); removed it from the peer list (4 left)");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", false, 4, "connection refused"), LogLevel.Information, "had already left the peer list");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", false, 4), LogLevel.Information, "is not in the peer list");
        yield return Case(new DeadNodeRefuted(T0, Report, "127.0.0.1:50000"), LogLevel.Warning,
            "False report \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" from 127.0.0.1:50000: 127.0.0.1:10003 answered the check; it stays in the peer list");
        yield return Case(new DeadNodeRejected(T0, Report, "127.0.0.1:50000", "the sender 127.0.0.1:10009 is not a registered peer"), LogLevel.Warning,
            "Rejected \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" from 127.0.0.1:50000: the sender 127.0.0.1:10009 is not a registered peer; the peer list is unchanged");
        yield return Case(new RequestRejected(T0, MessageType.Register, new NodeEndpoint(IPAddress.Parse("10.0.0.5"), 6000), "127.0.0.1:50000", "claims to listen on 10.0.0.5:6000 but connects from 127.0.0.1"), LogLevel.Warning,
            "Rejected Register for 10.0.0.5:6000 from 127.0.0.1:50000: claims to listen on 10.0.0.5:6000 but connects from 127.0.0.1; connection closed");
        yield return Case(new PeerRegistered(T0, PeerAt(1), "127.0.0.1:50000", true, Peers(2, 3)), LogLevel.Debug, "Registered again peer 127.0.0.1:10001");
        yield return Case(new PeerRegistered(T0, PeerAt(1), "127.0.0.1:50000", false, Peers(2, 3)), LogLevel.Information, "Registered peer 127.0.0.1:10001");
        yield return Case(new OverlayRepair(T0, "127.0.0.1:10002 died", 1, 2, Peers(5), Seeds(2)), LogLevel.Information,
            "Only 1 neighbour (minimum 2) after 127.0.0.1:10002 died: dialing 127.0.0.1:10005; asked 2 seeds for fresh peer lists");
        yield return Case(new OverlayRepair(T0, "liveness round", 1, 2, [], Seeds(1)), LogLevel.Debug, "no other peer known");
        yield return Case(new SeedRefreshed(T0, SeedAt(1), Peers(2), 3), LogLevel.Information, "Registered again with seed 127.0.0.1:9001 after 3 failed attempts");
        yield return Case(new SeedRefreshed(T0, SeedAt(1), Peers(2), 0), LogLevel.Debug, "Registered again with seed 127.0.0.1:9001; received its peer list (1)");
        yield return Case(new ReregistrationFailed(T0, SeedAt(1), "connection refused", 2, T0.AddSeconds(4), 0), LogLevel.Warning,
            "Could not register again with seed 127.0.0.1:9001: connection refused (attempt 2); no registered seed is reachable; keeping the neighbours and gossiping; next try at");
        yield return Case(new ReregistrationFailed(T0, SeedAt(1), "connection refused", 1, null, 1), LogLevel.Warning, "1 registered seeds reachable");
        yield return Case(new CatchUpRequested(T0, PeerAt(2), 5, 2), LogLevel.Information, "Catch-up: 127.0.0.1:10002 offered 5 recent messages; asked for the 2 not seen yet");
        yield return Case(new CatchUpRequested(T0, PeerAt(2), 5, 0), LogLevel.Debug, "all seen already");
        yield return Case(new CatchUpReasked(T0, PeerAt(3), 2, LostWith: PeerAt(2)), LogLevel.Information,
            "Catch-up: asked 127.0.0.1:10003 for 2 messages it offered; the link to 127.0.0.1:10002, asked for them first, was lost");
        yield return Case(new CatchUpReasked(T0, PeerAt(3), 1, LostWith: null), LogLevel.Information,
            "Catch-up: asked 127.0.0.1:10003 for 1 messages it offered; the neighbour asked for them first did not send them within a liveness interval");
        yield return Case(new CatchUpServed(T0, PeerAt(2), 3, 2), LogLevel.Information, "Catch-up: sent 2 of the 3 messages 127.0.0.1:10002 asked for");
        yield return Case(new GossipReceived(T0, "1:127.0.0.1:10002:1", TestGossip.IdOf("1:127.0.0.1:10002:1"), PeerAt(2), PeerAt(2), 2, 1, CatchUp: true), LogLevel.Information,
            "Received gossip \"1:127.0.0.1:10002:1\" from 127.0.0.1:10002 at");
        yield return Case(new GossipReceived(T0, "1:127.0.0.1:10002:1", TestGossip.IdOf("1:127.0.0.1:10002:1"), PeerAt(2), PeerAt(3), 3, 0, Grafted: true), LogLevel.Information,
            "from 127.0.0.1:10003 at");
        yield return Case(new GossipReceived(T0, "1:127.0.0.1:10002:1", TestGossip.IdOf("1:127.0.0.1:10002:1"), PeerAt(2), PeerAt(3), 3, 0, Grafted: true), LogLevel.Information,
            "by graft (asked for after an announcement; hop 3), forwarded to 0");

        // Seeds cooperating on deaths.
        yield return Case(new DeadNodeChecking(T0, Report, "127.0.0.1:50000", false, SeedAt(2)), LogLevel.Information,
            "Received \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" relayed by seed 127.0.0.1:9002: checking 127.0.0.1:10003 before removing it");
        yield return Case(new DeadNodeChecking(T0, Report, "127.0.0.1:50000", true, SeedAt(2)), LogLevel.Information, "relayed by seed 127.0.0.1:9002: already checking 127.0.0.1:10003");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", true, 4, "connection refused", SeedAt(2)), LogLevel.Warning,
            "Confirmed \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" (relayed by seed 127.0.0.1:9002): 127.0.0.1:10003 does not answer (connection refused); removed it from the peer list (4 left)");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", false, 4, "connection refused", SeedAt(2)), LogLevel.Information, "(relayed by seed 127.0.0.1:9002): 127.0.0.1:10003 does not answer (connection refused), and it had already left");
        yield return Case(new DeadNodeReceived(T0, Report, "127.0.0.1:50000", false, 4, null, SeedAt(2)), LogLevel.Information, "relayed by seed 127.0.0.1:9002: 127.0.0.1:10003 is not in the peer list");
        yield return Case(new DeadNodeRefuted(T0, Report, "127.0.0.1:50000", SeedAt(2)), LogLevel.Warning, "False report \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" relayed by seed 127.0.0.1:9002: 127.0.0.1:10003 answered the check");
        yield return Case(new DeadNodeRelayed(T0, Report, Seeds(3).Skip(1).ToArray()), LogLevel.Information,
            "Relaying the confirmed \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" to the 2 other seeds: 127.0.0.1:9002, 127.0.0.1:9003");
        yield return Case(new DeadNodeRelayFailed(T0, SeedAt(2), [Report], "connection refused", T0.AddSeconds(2)), LogLevel.Warning,
            "Could not relay 1 dead-node reports to seed 127.0.0.1:9002: connection refused; next try at");
        yield return Case(new DeadNodeRelayFailed(T0, SeedAt(2), [Report], "connection refused", null), LogLevel.Warning, "connection refused; skipping that seed");
        // A peer whose seeds went away.
        yield return Case(new SeedFailover(T0, SeedAt(3), "1 registered seeds failed 2 or more re-registrations in a row", [SeedAt(1)], 1, 2), LogLevel.Warning,
            "Switching seeds: registering with seed 127.0.0.1:9003 because 1 registered seeds failed 2 or more re-registrations in a row; 1 of the 2 seeds wanted answer (unreachable: 127.0.0.1:9001)");
        yield return Case(new DeadNodeReportRedirected(T0, Report, SeedAt(1), SeedAt(3)), LogLevel.Warning,
            "Could not deliver \"Dead Node:127.0.0.1:10003:1700000000123:127.0.0.1\" to seed 127.0.0.1:9001; sending it to seed 127.0.0.1:9003 instead");
        yield return Case(new DeadNodeReportRedirected(T0, Report, SeedAt(1), null), LogLevel.Warning, "to seed 127.0.0.1:9001, and no other configured seed is left to send it to");

        static TestCaseData Case(NodeEvent e, LogLevel level, string text) => new TestCaseData(e, level, text).SetName($"{{m}}({e.GetType().Name}, {level})");
    }

    [TestCaseSource(nameof(Lines))]
    public void Each_event_is_one_line_at_its_level(NodeEvent e, LogLevel level, string text)
    {
        var logger = new CapturingLogger();

        NodeEventLog.Write(logger, e);

        var line = logger.Lines.Single();
        Assert.That(line.Level, Is.EqualTo(level));
        Assert.That(line.Text, Does.Contain(text));
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
