using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;

namespace P2PSim.Tests.Hosting;

/// <summary>Options handed to a host as an object: the host uses that very object, and still checks it.</summary>
[TestFixture]
public sealed class GivenOptionsFactoryTests
{
    private static ServiceProvider Services(TransportOptions given)
    {
        var services = new ServiceCollection();
        services.AddOptions<TransportOptions>().ValidateOnStart();
        services.AddSingleton<IValidateOptions<TransportOptions>, TransportOptionsValidator>();
        services.AddGivenOptions(given);
        return services.BuildServiceProvider();
    }

    [Test]
    public void The_host_hands_out_the_given_object_itself()
    {
        var given = new TransportOptions { EchoPings = false };
        using var services = Services(given);

        Assert.That(services.GetRequiredService<IOptions<TransportOptions>>().Value, Is.SameAs(given));
        Assert.That(services.GetRequiredService<IOptionsMonitor<TransportOptions>>().CurrentValue, Is.SameAs(given));
    }

    [Test]
    public void A_given_object_with_a_bad_setting_is_refused_with_the_setting_named()
    {
        using var services = Services(new TransportOptions { MaxFrameBytes = 5 });

        Assert.That(() => services.GetRequiredService<IOptions<TransportOptions>>().Value,
            Throws.InstanceOf<OptionsValidationException>().With.Message.Contains("Transport:MaxFrameBytes"));
    }
}
