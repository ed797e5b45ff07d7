using Microsoft.Extensions.Configuration;
using P2PSim.Configuration;
using P2PSim.Simulation;

namespace P2PSim.Experiments;

/// <summary>
/// Everything one experiment needs, on either network: section <c>Experiment</c> of the settings, bound as it is
/// (<see cref="From"/>), carrying the peers' behaviour (section <c>Peer</c>) and the connection limits (section
/// <c>Transport</c>). The <c>experiment</c> command, <see cref="SimulatedExperiment"/> and <see cref="TcpExperiment"/> all
/// take it and check it with the one <see cref="ExperimentOptionsValidator"/>; the workload and the simulated link model
/// are built from it here, once. README.md (Experiments) documents every setting.
/// <code>
/// var options = new ExperimentOptions { Peers = 500, Workload = WorkloadKind.Crash, CrashShare = 0.3, Peer = new PeerOptions { LivenessInterval = TimeSpan.FromSeconds(1) } };
/// </code>
/// </summary>
public sealed record ExperimentOptions
{
    public const string Section = "Experiment";

    /// <summary>
    /// Which network the <c>experiment</c> command runs: <c>tcp</c> (real nodes on loopback, as in the demo) or
    /// <c>simulated</c> (the same state machines on an in-memory network in virtual time). <see cref="SimulatedExperiment"/>
    /// and <see cref="TcpExperiment"/> each run their own network and check the options for it.
    /// </summary>
    public NetworkKind Network { get; init; } = NetworkKind.Tcp;

    /// <summary>What the peers do once the overlay is built: <c>burst</c>, <c>classic</c>, <c>crash</c>, <c>seedcrash</c>, <c>churn</c>, <c>partition</c> (simulated only), <c>private</c> or <c>groups</c>.</summary>
    public WorkloadKind Workload { get; init; } = WorkloadKind.Burst;

    /// <summary>Every workload but classic: who publishes at each step: a random live peer, always the same one, or every peer.</summary>
    public PublisherKind Publishers { get; init; } = PublisherKind.Random;

    public int Seeds { get; init; } = 3;

    /// <summary>Peer nodes, those churn holds back included.</summary>
    public int Peers { get; init; } = 200;

    /// <summary>Seed of every random choice of the run (seed lists, neighbours, origins, victims, jitter, loss); printed in the report.</summary>
    public int RunSeed { get; init; } = 1;

    /// <summary>Every workload but classic: messages published, one at a time, from random live peers.</summary>
    public int Messages { get; init; } = 100;

    /// <summary>Every workload but classic: time between two published messages.</summary>
    public TimeSpan Spacing { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time between two samples of the overlay (connectivity over time); zero: <c>Peer:LivenessInterval</c>.</summary>
    public TimeSpan SampleInterval { get; init; } = TimeSpan.Zero;

    /// <summary>crash: share of the peers that crash abruptly halfway through the burst (0.3: a mass crash); private: share of the peers (never senders) that crash halfway.</summary>
    public double CrashShare { get; init; } = 0.1;

    /// <summary>private: share of the peers that cannot be dialled from outside (as behind a NAT): messages to them go through a seed.</summary>
    public double NotDialableShare { get; init; } = 0.2;

    /// <summary>seedcrash: seeds that crash halfway through the burst.</summary>
    public int SeedCrashes { get; init; } = 1;

    /// <summary>seedcrash: time from the crash until the seeds restart, empty, on their ports; zero: they stay down.</summary>
    public TimeSpan SeedRestartAfter { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>churn: share of the peers that leave during the run.</summary>
    public double ChurnLeaveShare { get; init; } = 0.1;

    /// <summary>churn: share of the leavers that crash instead of saying goodbye.</summary>
    public double ChurnCrashShare { get; init; } = 0.5;

    /// <summary>churn: share of the peers held back at the start that join during the run.</summary>
    public double ChurnJoinShare { get; init; } = 0.1;

    /// <summary>churn: time between two churn events (a leave or a join); zero: spread evenly over the burst.</summary>
    public TimeSpan ChurnInterval { get; init; } = TimeSpan.Zero;

    /// <summary>partition: share of the peers cut off from the rest.</summary>
    public double PartitionShare { get; init; } = 0.5;

    /// <summary>partition: how long the network stays split; must be shorter than <c>Peer:HistoryWindow</c>.</summary>
    public TimeSpan PartitionDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>groups: groups of the run (named g0, g1, ...).</summary>
    public int Groups { get; init; } = 5;

    /// <summary>groups: share of the peers each group starts with, drawn apart for each group (so groups overlap).</summary>
    public double GroupShare { get; init; } = 0.2;

    /// <summary>groups: membership changes (a peer joining or leaving a group) spread over the burst.</summary>
    public int GroupChanges { get; init; } = 20;

    /// <summary>attack: the attacks to run, one after the other: <c>all</c>, or a comma-separated list of connections, flood, forged, requests, impostor, death, handshakes.</summary>
    public string Attacks { get; init; } = "all";

    /// <summary>attack: how hard: every attack's count of connections, messages and requests is its default times this.</summary>
    public double AttackStrength { get; init; } = 1;

    /// <summary>attack: first run the same network and burst without attackers, so the report can say what the attacks cost the honest peers.</summary>
    public bool AttackBaseline { get; init; } = true;

    /// <summary>simulated: one-way latency of every link.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>simulated: extra random delay per message, uniform in [0, Jitter). Links stay FIFO, as TCP.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.Zero;

    /// <summary>simulated: probability that a gossip message is lost on a link.</summary>
    public double Loss { get; init; }

    /// <summary>
    /// Peers joining at the same time (the first peer always joins alone). 1 is strictly one at a time, and the tcp and
    /// simulated networks build the same overlay for a run seed. On tcp (and in each slice) this is the host's
    /// <c>Network:PeersJoiningAtOnce</c>: more than 1 builds a big overlay sooner on several cores, in an order the machine
    /// decides. On the simulated network more shortens the virtual time the overlay takes to build, and with it the liveness and re-registration
    /// traffic simulated meanwhile, which grows with the square of the peers (100,000 peers one by one: 400 s of virtual
    /// time, about 30 million events before the first message); each peer still registers after the peers before it have
    /// finished, so it always finds and links to an earlier peer. 0, the default, is one per started thousand peers:
    /// 1 up to 1,999 peers (every run that is compared with tcp), 100 for 100,000.
    /// </summary>
    public int JoinConcurrency { get; init; }

    /// <summary>
    /// Several slices (<c>Slice:Count</c> above 1): the UTC time, ISO 8601 (<c>2026-12-03T10:15:00Z</c>), at which the
    /// workload starts in every slice. Each slice derives the same schedule from <see cref="RunSeed"/> and this time, so
    /// every slice must be given the same value, far enough ahead for its peers to have joined. Not read by one process.
    /// </summary>
    public string StartAt { get; init; } = "";

    /// <summary>
    /// Where the <c>experiment</c> command writes the JSON report; <c>{network}</c>, <c>{workload}</c>, <c>{peers}</c> and
    /// <c>{seed}</c> are filled in. A slice writes its part of the report there, <c>.slice{i}</c> put before the extension
    /// (or in place of <c>{slice}</c>).
    /// </summary>
    public string ReportPath { get; init; } = "experiments/{network}-{workload}-{peers}-seed{seed}.json";

    /// <summary>Also write the report as a self-contained HTML page with charts, beside the JSON (same name, <c>.html</c>).</summary>
    public bool HtmlReport { get; init; } = true;

    /// <summary>Section <c>Peer</c>: the peers' behaviour. A run works on a copy (<see cref="PeerOptionsForRun"/>).</summary>
    public PeerOptions Peer { get; init; } = new();

    /// <summary>Section <c>Transport</c>: the limits of every connection of a tcp run; of it, only <c>EchoPings</c> applies to a simulated run (the simulated network has no transport).</summary>
    public TransportOptions Transport { get; init; } = new();

    /// <summary>Section <c>Seed</c>: how the seeds keep their peer lists (on both networks).</summary>
    public SeedOptions Seed { get; init; } = new();

    /// <summary>Section <c>Gossip</c>: the routing (flood or tree) and its timings (on both networks).</summary>
    public GossipOptions Gossip { get; init; } = new();

    /// <summary>
    /// Section <c>Private</c>: acknowledgement timeout, attempts and idle timeout of private messages (on both networks).
    /// <c>Private:NotDialablePeers</c> is the demo's: an experiment's peers that cannot be dialled come from
    /// <see cref="NotDialableShare"/> (<see cref="NotDialablePeers"/>).
    /// </summary>
    public PrivateOptions Private { get; init; } = new();

    /// <summary>Section <c>Security</c>: whether a tcp run's links are TLS (the default) or plain. The simulated network models no TLS.</summary>
    public SecurityOptions Security { get; init; } = new();

    // Not settings: internal, so the configuration binder leaves them alone; the tests set them.

    /// <summary>Most peers a seed puts in one peer list (it samples at random beyond that). Simulated only; tcp seeds keep their default.</summary>
    internal int MaxPeersPerList { get; init; } = 1000;

    /// <summary>Pause between a join finishing and the next peer starting. Default none: the next starts at once.</summary>
    internal TimeSpan JoinSpacing { get; init; } = TimeSpan.Zero;

    /// <summary>Longest a join may take before the next peer starts anyway (the late peer is counted as not joined).</summary>
    internal TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>This run is an attack run's baseline: a burst that reads its nodes' log lines as the attack run does, so their costs compare.</summary>
    internal bool AttackBaselineRun { get; init; }

    /// <summary>
    /// The settings set <c>Seed:TenureAfter</c> or <c>Peer:TenuredNeighbours</c> (<see cref="From"/> notes it): the run
    /// keeps both as given, whatever its workload (<see cref="TenuredRule"/>).
    /// </summary>
    internal bool TenureGiven { get; init; }

    /// <summary>
    /// Whether the run's nodes keep tenured neighbours (<c>Seed:TenureAfter</c>, <c>Peer:TenuredNeighbours</c>): in the
    /// attack workload (and its baseline, the same network without attackers), or where the settings name either. Other
    /// workloads run as before the rule: during a network's first <c>Seed:TenureAfter</c> (an experiment's whole run) the
    /// tenured share is drawn among each seed's 5 oldest peers, and those few would take every joiner's tenured link,
    /// distorting the overlay the run measures (200 peers: highest degree 45-52 instead of 27-32) and, in a big join,
    /// refusing most of those dials at their inbound caps. The simulated network never has the rule.
    /// </summary>
    internal bool TenuredRule => Workload == WorkloadKind.Attack || AttackBaselineRun || TenureGiven;

    /// <summary>Longest the run waits, after the last message, for gossip still on its way.</summary>
    internal TimeSpan DrainTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Least wall-clock time between two progress callbacks.</summary>
    internal TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The peers that join at once: <see cref="JoinConcurrency"/>, or with 0 one per thousand peers (at least 1).</summary>
    internal int EffectiveJoinConcurrency => JoinConcurrency > 0 ? JoinConcurrency : Math.Max(1, Peers / 1000);

    /// <summary><see cref="Network"/> as settings and file names write it: <c>tcp</c> or <c>simulated</c>.</summary>
    internal string NetworkName => EnumSetting.Name(Network);

    /// <summary><see cref="Workload"/> as settings and file names write it: <c>burst</c>, <c>seedcrash</c>, ...</summary>
    internal string WorkloadName => EnumSetting.Name(Workload);

    /// <summary>
    /// Binds section <c>Experiment</c> of <paramref name="configuration"/>, and sections <c>Peer</c> and <c>Transport</c> into
    /// <see cref="Peer"/> and <see cref="Transport"/>. Throws <see cref="InvalidOperationException"/> for a value that does not
    /// convert (naming the setting); does not validate.
    /// </summary>
    public static ExperimentOptions From(IConfiguration configuration) =>
        (configuration.GetSection(Section).Get<ExperimentOptions>() ?? new ExperimentOptions()) with
        {
            Peer = configuration.GetSection(PeerOptions.Section).Get<PeerOptions>() ?? new PeerOptions(),
            Transport = configuration.GetSection(TransportOptions.Section).Get<TransportOptions>() ?? new TransportOptions(),
            Seed = configuration.GetSection(SeedOptions.Section).Get<SeedOptions>() ?? new SeedOptions(),
            Gossip = configuration.GetSection(GossipOptions.Section).Get<GossipOptions>() ?? new GossipOptions(),
            Private = configuration.GetSection(PrivateOptions.Section).Get<PrivateOptions>() ?? new PrivateOptions(),
            Security = configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions(),
            TenureGiven = configuration[$"{SeedOptions.Section}:{nameof(SeedOptions.TenureAfter)}"] is not null
                || configuration[$"{PeerOptions.Section}:{nameof(PeerOptions.TenuredNeighbours)}"] is not null,
        };

    /// <summary>Throws <see cref="ArgumentException"/> naming every invalid setting, as the <c>experiment</c> command lists them.</summary>
    public void Validate()
    {
        var result = new ExperimentOptionsValidator().Validate(null, this);
        if (result.Failed)
        {
            throw new ArgumentException(result.FailureMessage);
        }
    }

    /// <summary>The workload of a run, as the <see cref="WorkloadRunner"/> carries it out: the only place it is built.</summary>
    internal Workload WorkloadToRun() => Workload switch
    {
        WorkloadKind.Burst => new BurstWorkload { Messages = Messages, Spacing = Spacing },
        WorkloadKind.Classic => new ClassicWorkload(),
        WorkloadKind.Crash => new CrashWorkload { Messages = Messages, Spacing = Spacing, CrashShare = CrashShare },
        WorkloadKind.SeedCrash => new SeedCrashWorkload { Messages = Messages, Spacing = Spacing, Seeds = SeedCrashes, RestartAfter = SeedRestartAfter },
        WorkloadKind.Churn => new ChurnWorkload
        {
            Messages = Messages,
            Spacing = Spacing,
            LeaveShare = ChurnLeaveShare,
            CrashShare = ChurnCrashShare,
            JoinShare = ChurnJoinShare,
            Interval = ChurnInterval,
        },
        WorkloadKind.Partition => new PartitionWorkload { Messages = Messages, Spacing = Spacing, Share = PartitionShare, Duration = PartitionDuration },
        WorkloadKind.Private => new PrivateWorkload { Messages = Messages, Spacing = Spacing, NotDialableShare = NotDialableShare, CrashShare = CrashShare },
        WorkloadKind.Groups => new GroupsWorkload { Messages = Messages, Spacing = Spacing, Groups = Groups, Share = GroupShare, Changes = GroupChanges },
        WorkloadKind.Attack => new Attacks.AttackWorkload
        {
            Messages = Messages,
            Spacing = Spacing,
            Attacks = Experiments.Attacks.AttackKinds.Parse(Attacks, out _) ?? [],
            Strength = AttackStrength,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(Workload), Workload, $"{Section}:Workload must be {EnumSetting.Choices<WorkloadKind>()}."),
    };

    /// <summary>
    /// The link model of a simulated run: the only place it is built. <c>Transport:EchoPings</c> applies as on tcp (the
    /// nodes' runtime answers pings at once, or leaves them to the machines).
    /// </summary>
    internal SimulatedNetworkOptions LinkModel() => new() { Latency = Latency, Jitter = Jitter, LossProbability = Loss, EchoPings = Transport.EchoPings };

    /// <summary>
    /// The peers of the run that cannot be dialled from outside: with the private workload, a random
    /// <see cref="NotDialableShare"/> of them, drawn from the run seed on a generator of its own (the other draws of the
    /// run are those of every other workload); none with any other workload. The same on both networks.
    /// </summary>
    internal IReadOnlySet<int> NotDialablePeers()
    {
        if (Workload != WorkloadKind.Private || Peers == 0)
        {
            return new HashSet<int>();
        }
        var random = new Random(unchecked((RunSeed * 397) ^ 0x4e415421)); // "NAT!"
        var order = Enumerable.Range(0, Peers).ToArray();
        random.Shuffle(order);
        return order.Take((int)Math.Round(NotDialableShare * Peers, MidpointRounding.AwayFromZero)).ToHashSet();
    }

    /// <summary>The run's <see cref="Private"/> settings with its peers that cannot be dialled (<see cref="NotDialablePeers"/>) as <c>Private:NotDialablePeers</c>.</summary>
    internal PrivateOptions PrivateOptionsForRun()
    {
        var copy = Private.Clone();
        copy.NotDialablePeers = string.Join(",", NotDialablePeers().Order());
        return copy;
    }

    /// <summary>
    /// A private copy of <see cref="Peer"/> for one run (every setting carried over); every workload but classic drives
    /// gossip itself, so there the peers' own timed gossip is off; no tenured neighbours unless <see cref="TenuredRule"/>.
    /// </summary>
    internal PeerOptions PeerOptionsForRun()
    {
        var copy = Peer.Clone();
        copy.MessagesPerPeer = Workload == WorkloadKind.Classic ? Peer.MessagesPerPeer : 0;
        copy.TenuredNeighbours = TenuredRule ? Peer.TenuredNeighbours : 0;
        return copy;
    }

    /// <summary>A private copy of <see cref="Seed"/> for one run: without the tenured share unless <see cref="TenuredRule"/>.</summary>
    internal SeedOptions SeedOptionsForRun()
    {
        var copy = Seed.Clone();
        copy.TenureAfter = TenuredRule ? Seed.TenureAfter : TimeSpan.Zero;
        return copy;
    }
}
