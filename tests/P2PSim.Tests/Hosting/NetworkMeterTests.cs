using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using P2PSim.Hosting;
using P2PSim.Tests.TestSupport;

namespace P2PSim.Tests.Hosting;

/// <summary>The meter "P2PSim" on a small real network: what dotnet-counters would show.</summary>
[TestFixture]
public sealed class NetworkMeterTests
{
    [Test]
    [CancelAfter(30_000)]
    public async Task A_messages_receipts_links_and_frames_show_up_in_the_instruments(CancellationToken ct)
    {
        await using var network = await TestNetwork.StartAsync(1, 3, cancellationToken: ct);
        var factory = network.Services.GetRequiredService<IMeterFactory>();
        var values = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            // Only this network's meter: other tests' networks publish a meter of the same name in this process.
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == NetworkMeter.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }
            values[key] = value;
        });
        listener.Start();

        await network.WaitForOverlayAsync(ct);
        var messages = await network.PublishFromEveryPeerAsync(ct);
        await network.WaitForDeliveryAsync(messages, ct);

        await Eventually.HoldsAsync(() =>
        {
            values.Clear();
            listener.RecordObservableInstruments();
            var received = values.GetValueOrDefault("p2psim.gossip.received|node.role=peer");
            var expected = network.Stats.Nodes.Sum(static n => n.Received);
            return received > 0 && received == expected ? null : $"p2psim.gossip.received is {received}, the network counted {expected}";
        }, TimeSpan.FromSeconds(10), ct);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(values.GetValueOrDefault("p2psim.gossip.originated|node.role=peer"), Is.GreaterThanOrEqualTo(messages.Count));
            Assert.That(values.GetValueOrDefault("p2psim.links.established|node.role=peer"), Is.GreaterThan(0));
            Assert.That(values.GetValueOrDefault("p2psim.transport.frames|node.role=peer|direction=sent|kind=gossip"), Is.GreaterThanOrEqualTo(messages.Count));
            Assert.That(values.GetValueOrDefault("p2psim.transport.bytes|node.role=seed|direction=received|kind=control"), Is.GreaterThan(0), "registrations reached the seed");
            Assert.That(values.GetValueOrDefault("p2psim.transport.connections|node.role=peer"), Is.GreaterThan(0));
            Assert.That(values.Keys, Has.Some.StartsWith("p2psim.transport.queued_frames"));
            Assert.That(values.Keys, Has.Some.StartsWith("p2psim.transport.dropped"));
            Assert.That(values.Keys, Has.Some.StartsWith("p2psim.deaths.detected"));
        }
    }
}
