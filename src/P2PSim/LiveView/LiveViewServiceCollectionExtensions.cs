using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using P2PSim.Configuration;
using P2PSim.Hosting;

namespace P2PSim.LiveView;

public static class LiveViewServiceCollectionExtensions
{
    /// <summary>
    /// Registers the live view of the demo: its validated options, the lossy observer every node reports to, the view
    /// state and the server. Call it before <c>AddP2PSim</c> so the page binds, and prints its address, before any node
    /// starts. With <c>LiveView:Enabled=false</c> the observer ignores every event and nothing listens.
    /// </summary>
    public static IServiceCollection AddLiveView(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LiveViewOptions>().Bind(configuration.GetSection(LiveViewOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LiveViewOptions>, LiveViewOptionsValidator>();
        services.AddSingleton<LiveViewObserver>();
        services.AddSingleton<INodeEventObserver>(sp => sp.GetRequiredService<LiveViewObserver>());
        services.AddSingleton(sp => new LiveViewFeed(new LiveViewState(RoutingName(sp.GetRequiredService<IOptions<GossipOptions>>().Value.Routing))));
        services.AddSingleton<LiveViewServer>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<LiveViewServer>());
        return services;
    }

    private static string RoutingName(Routing routing) => routing switch
    {
        Routing.Tree => "tree",
        Routing.Spanning => "spanning",
        _ => "flood",
    };
}
