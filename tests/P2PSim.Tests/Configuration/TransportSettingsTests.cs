using P2PSim.Configuration;
using P2PSim.Transport;

namespace P2PSim.Tests.Configuration;

/// <summary>The start-up checks of Transport:ProcessQueueBytes.</summary>
[TestFixture]
public sealed class TransportSettingsTests
{
    [TestCase(0L)]
    [TestCase(TransportOptionsValidator.MinProcessQueueBytes)]
    [TestCase(TransportOptionsValidator.MaxProcessQueueBytes)]
    public void The_process_queue_budget_may_be_left_to_its_default_or_set_within_range(long bytes) =>
        Assert.That(new TransportOptionsValidator().Validate(null, new TransportOptions { ProcessQueueBytes = bytes }).Succeeded, Is.True);

    [TestCase(-1L)]
    [TestCase(TransportOptionsValidator.MinProcessQueueBytes - 1)]
    [TestCase(TransportOptionsValidator.MaxProcessQueueBytes + 1)]
    public void A_process_queue_budget_out_of_range_names_the_setting_the_default_and_the_value(long bytes)
    {
        var result = new TransportOptionsValidator().Validate(null, new TransportOptions { ProcessQueueBytes = bytes });

        Assert.That(result.Failures, Is.EqualTo(new[]
        {
            $"Transport:ProcessQueueBytes must be 0 (the default: {QueueBudget.DefaultBytesPerNode} bytes per node, at least {QueueBudget.MinimumDefaultBytes}) " +
            $"or between 65536 and 68719476736 (was {bytes}).",
        }));
    }
}
