using System.ComponentModel;
using P2PSim.Configuration;

namespace P2PSim.Experiments;

/// <summary>Setting <c>Experiment:Network</c>: which network an experiment runs on (written <c>tcp</c>, <c>simulated</c>, any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<NetworkKind>))]
public enum NetworkKind
{
    /// <summary>Real nodes on loopback TCP, as in the demo (<see cref="TcpExperiment"/>).</summary>
    Tcp,

    /// <summary>The same state machines on an in-memory network in virtual time (<see cref="SimulatedExperiment"/>).</summary>
    Simulated,
}
