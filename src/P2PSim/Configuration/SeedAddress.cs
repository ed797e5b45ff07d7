namespace P2PSim.Configuration;

/// <summary>
/// One seed of the network as the settings name it (<c>Network:Seeds</c> written as a list, as the original
/// <c>config_file.py</c> did with <c>seed_info</c>): a name, a host (an IP address, or a DNS name resolved when this
/// process's peers start) and a port. The count-and-base-port form gives the same list: <c>seed-0</c>, <c>seed-1</c>, ...
/// at <c>Network:Host</c> from <c>Network:SeedBasePort</c> on.
/// </summary>
public sealed record SeedAddress(string Name, string Host, int Port)
{
    /// <summary>The setting this seed came from, for messages (<c>Network:Seeds:1</c>, or the count form's settings).</summary>
    public string Setting { get; init; } = $"{NetworkOptions.Section}:Seeds";

    public override string ToString() => $"{Name} ({Host}:{Port})";
}
