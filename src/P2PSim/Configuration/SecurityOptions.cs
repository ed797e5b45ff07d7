using System.ComponentModel;
using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>Section <c>Security</c>: how nodes protect what they say to each other (Protocol/PROTOCOL.md, <i>Encrypted links</i>).</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    /// <summary>
    /// What every tcp link is: <see cref="LinkSecurity.Tls"/> (encrypted and authenticated with TLS 1.3, certificates bound to
    /// the node keys), or <see cref="LinkSecurity.Plain"/> (plain TCP, for comparisons). A tls node and a plain node cannot
    /// talk: each closes the link and says why. The simulated network models no TLS either way.
    /// </summary>
    public LinkSecurity Links { get; set; } = LinkSecurity.Tls;

    public SecurityOptions Clone() => (SecurityOptions)MemberwiseClone();
}

/// <summary>Setting <c>Security:Links</c>: <c>tls</c> or <c>plain</c> (any case).</summary>
[TypeConverter(typeof(EnumSettingConverter<LinkSecurity>))]
public enum LinkSecurity
{
    /// <summary>TLS 1.3 on every link, both sides presenting a certificate bound to their node key.</summary>
    Tls,

    /// <summary>Plain TCP: frames as they are, readable and forgeable by anyone on the path.</summary>
    Plain,
}

internal sealed class SecurityOptionsValidator : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions o) => new SettingsChecks()
        .That(Enum.IsDefined(o.Links), $"{SecurityOptions.Section}:Links must be {EnumSetting.Choices<LinkSecurity>()} (was {o.Links}).")
        .Result();
}
