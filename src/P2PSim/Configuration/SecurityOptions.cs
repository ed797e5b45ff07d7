using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>Section <c>Security</c>: who the nodes are (their keys; PROTOCOL.md, "Identity and signatures").</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Folder of the nodes' key files (<c>seed-0.key</c>, <c>peer-3.key</c>): a node loads its key from there, or makes
    /// one and saves it, so a restarted node keeps its id. Empty (the default): every node makes a fresh key at start.
    /// </summary>
    public string KeyFolder { get; set; } = "";
}

/// <summary>Checks the <c>Security</c> section: a key folder that can be a folder (the key files themselves are checked at start).</summary>
internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions o) => new SettingsChecks()
        .That(o.KeyFolder.Length == 0 || (!string.IsNullOrWhiteSpace(o.KeyFolder) && o.KeyFolder.IndexOfAny(Path.GetInvalidPathChars()) < 0 && !File.Exists(o.KeyFolder)),
            $"{SecurityOptions.Section}:KeyFolder must be a folder path, or empty for fresh keys (was '{o.KeyFolder}').")
        .Result();
}
