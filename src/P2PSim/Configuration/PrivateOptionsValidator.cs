using Microsoft.Extensions.Options;

namespace P2PSim.Configuration;

/// <summary>Checks the <c>Private</c> section: timings and attempts in range.</summary>
internal sealed class PrivateOptionsValidator : IValidateOptions<PrivateOptions>
{
    public ValidateOptionsResult Validate(string? name, PrivateOptions o)
    {
        const string S = PrivateOptions.Section;
        var checks = new SettingsChecks()
            .Interval($"{S}:AckTimeout", o.AckTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1))
            .Range($"{S}:Attempts", o.Attempts, 1, 20)
            .Interval($"{S}:IdleTimeout", o.IdleTimeout, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        return checks.Result();
    }
}
