using System.ComponentModel;
using P2PSim.Configuration;

namespace P2PSim.Experiments;

/// <summary>
/// Setting <c>Experiment:Workload</c>: what the peers do once the overlay is built (written <c>burst</c>, <c>seedcrash</c>,
/// any case). Each is carried out by one <see cref="Workload"/> record, built from the options by
/// <see cref="ExperimentOptions.WorkloadToRun"/>.
/// </summary>
[TypeConverter(typeof(EnumSettingConverter<WorkloadKind>))]
public enum WorkloadKind
{
    /// <summary><c>Messages</c> published one at a time from random live peers (<see cref="BurstWorkload"/>).</summary>
    Burst,

    /// <summary>Every peer gossips on its own timer, as in the demo (<see cref="ClassicWorkload"/>).</summary>
    Classic,

    /// <summary>A burst with a share of the peers crashing halfway (<see cref="CrashWorkload"/>).</summary>
    Crash,

    /// <summary>A burst with seeds crashing halfway and restarting empty (<see cref="SeedCrashWorkload"/>).</summary>
    SeedCrash,

    /// <summary>A burst while peers leave and join (<see cref="ChurnWorkload"/>).</summary>
    Churn,

    /// <summary>A burst while the network is split in two, simulated only (<see cref="PartitionWorkload"/>).</summary>
    Partition,

    /// <summary>Private messages between random pairs of peers, some not dialable, some recipients crashing (<see cref="PrivateWorkload"/>).</summary>
    Private,

    /// <summary>Messages to groups by their members while members join and leave (<see cref="GroupsWorkload"/>).</summary>
    Groups,

    /// <summary>A burst while attackers on real sockets try to get something through, tcp only (<see cref="Attacks.AttackWorkload"/>).</summary>
    Attack,
}
