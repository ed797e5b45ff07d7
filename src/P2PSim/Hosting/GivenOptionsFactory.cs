using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace P2PSim.Hosting;

/// <summary>
/// Options handed to a host as an object instead of bound from its configuration: every <see cref="IOptions{TOptions}"/>
/// and <see cref="IOptionsMonitor{TOptions}"/> of the host hands out exactly this instance (no copy of it setting by
/// setting that could leave one out), once the host's own validators for it have passed, so <c>ValidateOnStart</c>
/// still refuses a bad one. A tcp experiment gives its nodes the run's <c>Peer</c> and <c>Transport</c> settings this way.
/// </summary>
internal sealed class GivenOptionsFactory<TOptions>(TOptions given, IEnumerable<IValidateOptions<TOptions>> validators) : IOptionsFactory<TOptions>
    where TOptions : class
{
    public TOptions Create(string name)
    {
        var failures = validators.Select(v => v.Validate(name, given)).Where(r => r.Failed).SelectMany(r => r.Failures ?? []).ToList();
        return failures.Count == 0 ? given : throw new OptionsValidationException(name, typeof(TOptions), failures);
    }
}

internal static class GivenOptionsServiceCollectionExtensions
{
    /// <summary>Makes <paramref name="given"/> the host's <typeparamref name="TOptions"/>, whatever its configuration says (see <see cref="GivenOptionsFactory{TOptions}"/>).</summary>
    public static IServiceCollection AddGivenOptions<TOptions>(this IServiceCollection services, TOptions given)
        where TOptions : class =>
        services.AddSingleton<IOptionsFactory<TOptions>>(sp => new GivenOptionsFactory<TOptions>(given, sp.GetServices<IValidateOptions<TOptions>>()));
}
