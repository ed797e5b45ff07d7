using System.ComponentModel;
using P2PSim.Configuration;

namespace P2PSim.Experiments;

/// <summary>
/// Setting <c>Experiment:Publishers</c>: who publishes at each publish step of a workload (every workload but classic;
/// written <c>random</c>, <c>one</c>, <c>every</c>, any case).
/// </summary>
[TypeConverter(typeof(EnumSettingConverter<PublisherKind>))]
public enum PublisherKind
{
    /// <summary>A random live peer each time (the default).</summary>
    Random,

    /// <summary>The same peer every time (a random one that stays, chosen at the first step): one broadcast tree's root.</summary>
    One,

    /// <summary>Every live peer at once: as many messages per step as peers.</summary>
    Every,
}
