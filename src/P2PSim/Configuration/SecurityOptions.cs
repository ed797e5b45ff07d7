using System.ComponentModel;
using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>
/// Section <c>Security</c>: who the nodes are (their keys; PROTOCOL.md, "Identity and signatures") and how they protect
/// what they say to each other (PROTOCOL.md, <i>Encrypted links</i>).
/// </summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// Folder of the nodes' key files (<c>seed-0.key</c>, <c>peer-3.key</c>): a node loads its key from there, or makes
    /// one and saves it, so a restarted node keeps its id. Empty (the default): every node makes a fresh key at start.
    /// </summary>
    public string KeyFolder { get; set; } = "";

    /// <summary>
    /// What every tcp link is: <see cref="LinkSecurity.Noise"/> (the default: Noise XX, static keys signed by the node keys),
    /// <see cref="LinkSecurity.Tls"/> (encrypted and authenticated with TLS 1.3, certificates bound to the node keys: the
    /// same guarantees for about four times the handshake's CPU), or <see cref="LinkSecurity.Plain"/> (plain TCP, for
    /// comparisons). Nodes of two kinds cannot talk: each closes the link and says why. The simulated network models no
    /// link encryption either way.
    /// </summary>
    public LinkSecurity Links { get; set; } = LinkSecurity.Noise;

    /// <summary>
    /// Whether the nodes sign and check messages for real (<see cref="SignatureMode.Verify"/>, the default: every message
    /// is signed by its origin and checked on its first receipt, every private message's acknowledgement by its recipient),
    /// or skip the cryptography (<see cref="SignatureMode.Skip"/>: the same sizes and rules, no signing or checking), which
    /// only a simulated experiment may do: a real network must never run forgeable, so the demo and a tcp experiment refuse it.
    /// </summary>
    public SignatureMode Signatures { get; set; } = SignatureMode.Verify;

    /// <summary>
    /// How much work an id costs (PROTOCOL.md, <i>Ids cost work</i>): a node is accepted only with a nonce that gives
    /// SHA-256("P2PSim/6 id work" || id || nonce) at least this many leading zero bits, about 2^IdDifficulty hashes to find
    /// and one to check. 0 to 32; 0 asks no work. Every node of one network must use the same value: a Hello asking
    /// another is refused in words. The default, 14, costs about 16,000 hashes per id (README, <i>Security</i>).
    /// </summary>
    public int IdDifficulty { get; set; } = DefaultIdDifficulty;

    /// <summary>
    /// What a peer does with a message whose origin endpoint nobody vouches for (protocol version 8): not its neighbour's or
    /// a known id's, and no attestation in it from a seed the peer knows covers it (PROTOCOL.md, <i>Receiving a
    /// message</i>). <see cref="Configuration.UnverifiedOrigins.Accept"/> (the default): delivered and forwarded, every
    /// log line and report that shows its origin marks it <c>(unverified)</c>; <see cref="Configuration.UnverifiedOrigins.Drop"/>:
    /// dropped unrecorded and never forwarded (the link stays: a forwarder cannot know). Counted either way.
    /// </summary>
    public UnverifiedOrigins UnverifiedOrigins { get; set; } = UnverifiedOrigins.Accept;

    /// <summary>The default of <see cref="IdDifficulty"/>.</summary>
    public const int DefaultIdDifficulty = 14;

    public SecurityOptions Clone() => (SecurityOptions)MemberwiseClone();
}

/// <summary>Setting <c>Security:Links</c>: <c>tls</c>, <c>noise</c> or <c>plain</c> (any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<LinkSecurity>))]
public enum LinkSecurity
{
    /// <summary>TLS 1.3 on every link, both sides presenting a certificate bound to their node key.</summary>
    Tls,

    /// <summary>
    /// Noise_XX_25519_ChaChaPoly_SHA256 on every link, each side's static X25519 key signed by its node key
    /// (PROTOCOL.md, <i>Encrypted links</i>).
    /// </summary>
    Noise,

    /// <summary>Plain TCP: frames as they are, readable and forgeable by anyone on the path.</summary>
    Plain,
}

/// <summary>Setting <c>Security:UnverifiedOrigins</c>: <c>accept</c> or <c>drop</c> (any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<UnverifiedOrigins>))]
public enum UnverifiedOrigins
{
    /// <summary>Delivered and forwarded, its origin marked <c>(unverified)</c> wherever it is shown, and counted.</summary>
    Accept,

    /// <summary>Dropped unrecorded, never forwarded, counted; the link it came on stays.</summary>
    Drop,
}

/// <summary>Setting <c>Security:Signatures</c>: <c>verify</c> or <c>skip</c> (any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<SignatureMode>))]
public enum SignatureMode
{
    /// <summary>Messages are signed by their origin and checked on first receipt, with real Ed25519 work.</summary>
    Verify,

    /// <summary>No cryptography: messages carry 64 bytes that sign nothing and every check passes (simulated runs only).</summary>
    Skip,
}

/// <summary>Checks the <c>Security</c> section: a key folder that can be a folder (the key files themselves are checked at start), a known link kind.</summary>
internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions o) => new SettingsChecks()
        .That(o.KeyFolder.Length == 0 || (!string.IsNullOrWhiteSpace(o.KeyFolder) && o.KeyFolder.IndexOfAny(Path.GetInvalidPathChars()) < 0 && !File.Exists(o.KeyFolder)),
            $"{SecurityOptions.Section}:KeyFolder must be a folder path, or empty for fresh keys (was '{o.KeyFolder}').")
        .That(Enum.IsDefined(o.Links), $"{SecurityOptions.Section}:Links must be {EnumSetting.Choices<LinkSecurity>()} (was {o.Links}).")
        .That(Enum.IsDefined(o.Signatures), $"{SecurityOptions.Section}:Signatures must be {EnumSetting.Choices<SignatureMode>()} (was {o.Signatures}).")
        .That(o.Signatures != SignatureMode.Skip, SkipOnRealNetwork)
        .That(Enum.IsDefined(o.UnverifiedOrigins), $"{SecurityOptions.Section}:UnverifiedOrigins must be {EnumSetting.Choices<UnverifiedOrigins>()} (was {o.UnverifiedOrigins}).")
        .That(IdDifficultyValid(o.IdDifficulty), IdDifficultyMessage(o.IdDifficulty))
        .Result();

    /// <summary>Whether <paramref name="difficulty"/> is a valid <c>Security:IdDifficulty</c> (0 to <see cref="Security.IdWork.MaxDifficulty"/>).</summary>
    public static bool IdDifficultyValid(int difficulty) => difficulty is >= 0 and <= Security.IdWork.MaxDifficulty;

    /// <summary>What is wrong with an invalid <c>Security:IdDifficulty</c>.</summary>
    public static string IdDifficultyMessage(int difficulty) =>
        $"{SecurityOptions.Section}:IdDifficulty must be 0 (no work) to {Security.IdWork.MaxDifficulty} leading zero bits (was {difficulty}).";

    /// <summary>Why <c>Security:Signatures=skip</c> is refused wherever nodes talk over tcp (the demo, a tcp experiment).</summary>
    public static string SkipOnRealNetwork =>
        $"{SecurityOptions.Section}:Signatures=skip is for simulated experiments only (Experiment:Network=simulated): a network on real sockets always signs and checks its messages, or anyone could forge them.";
}
