namespace P2PSim.Configuration;

/// <summary>Section <c>Logs</c>: where the per-node log files go.</summary>
public sealed class LogOptions
{
    public const string Section = "Logs";

    /// <summary>Folder of the <c>Log_{port}.txt</c> files, relative to the working directory. Created if missing.</summary>
    public string Directory { get; set; } = "logs";

    /// <summary>Write per-node log files at all.</summary>
    public bool WriteFiles { get; set; } = true;
}
